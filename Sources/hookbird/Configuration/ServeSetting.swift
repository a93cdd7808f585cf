//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation

/// Every setting of `hookbird serve`, in the order of the README's configuration table, which
/// ``ServeSetting/markdownTable`` writes (`hookbird config-reference`; tests/e2e compares the two, and the flags of
/// `serve --help` with these).
///
/// Each is a flag (`--admin-token`), an environment variable (`HOOKBIRD_ADMIN_TOKEN`) and a key of the `--config`
/// file (`admin-token`), looked up in that order (see ``SettingSources``).
enum ServeSetting: String, CaseIterable, Sendable {
    case config
    case host
    case port
    case database
    case role
    case databasePool = "database-pool"
    case durability
    case adminToken = "admin-token"
    case jwtSecret = "jwt-secret"
    case maxBody = "max-body"
    case httpsOnly = "https-only"
    case tlsCert = "tls-cert"
    case tlsKey = "tls-key"
    case workers
    case endpointMaxInFlight = "endpoint-max-in-flight"
    case requestTimeout = "request-timeout"
    case retrySchedule = "retry-schedule"
    case overloadDelay = "overload-delay"
    case disableAfter = "disable-after"
    case signatureHeaders = "signature-headers"
    case egressAllow = "egress-allow"
    case shutdownTimeout = "shutdown-timeout"
    case trustedProxy = "trusted-proxy"
    case publicURL = "public-url"
    case logLevel = "log-level"
    case secretsKey = "secrets-key"
    case previousSecretsKey = "previous-secrets-key"

    /// The key in the `--config` file, and the flag without its dashes.
    var key: String { rawValue }

    /// The command-line flag.
    var flag: String { "--\(rawValue)" }

    /// The environment variable.
    var environmentVariable: String { "HOOKBIRD_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_") }

    /// Whether the file may set it: not `config` itself.
    var inFile: Bool { self != .config }

    /// A flag without a value: given means on; the environment and the file say `true` or `false`.
    var isSwitch: Bool { self == .httpsOnly }

    /// Values never repeated in error messages.
    var isSecret: Bool { [.adminToken, .jwtSecret, .secretsKey, .previousSecretsKey].contains(self) }

    /// The default, as the README shows it.
    var defaultText: String {
        switch self {
        case .config: "–"
        case .host: "`127.0.0.1`"
        case .port: "`8071`"
        case .database: "`sqlite:hookbird.sqlite`"
        case .role: "`all`"
        case .databasePool: "`10`"
        case .durability: "`full`"
        case .adminToken, .jwtSecret, .tlsCert, .tlsKey, .egressAllow, .trustedProxy, .secretsKey,
            .previousSecretsKey:
            "–"
        case .maxBody: "`1048576`"
        case .httpsOnly: "off"
        case .workers: "`512`"
        case .endpointMaxInFlight: "`32`"
        case .requestTimeout: "`30s`"
        case .retrySchedule: "`5s,5m,30m,2h,5h,10h,10h`"
        case .overloadDelay: "`60s`"
        case .disableAfter: "`5d`"
        case .signatureHeaders: "`webhook`"
        case .shutdownTimeout: "`30s`"
        case .publicURL: "from host, port, TLS"
        case .logLevel: "`info`"
        }
    }

    /// What it does, in the README's words (Markdown).
    var meaning: String {
        switch self {
        case .config:
            "a YAML (`.yaml`, `.yml`) or JSON (`.json`) file of settings, one key per flag (the third column); see below"
        case .host: "address to listen on"
        case .port: "port (`0` picks a free one)"
        case .database:
            "`sqlite:PATH`, relative to the working directory or absolute; or `postgres://user:password@host:port/database` (also `postgresql://`), with `?sslmode=disable` (default), `require` or `verify-full`, or `?host=/socket/dir` for a unix socket. The password is never logged."
        case .role:
            "`all`: the API and the delivery engine; `api`: the API, inbound gateway and dashboard, no deliveries; `worker`: the delivery engine, and on the port only `/api/v1/health`, `/api/v1/health/ping` and `/metrics`. See [Several nodes](#several-nodes)."
        case .databasePool:
            "PostgreSQL: connections in this node's pool for the API and message batches (up to 4 batches at once); one more is taken for `LISTEN`, and 3 more for the delivery engine's claims and records (see [Several nodes](#several-nodes)). Each runs one statement at a time. 10 carries a node at its CPU limit on 2 cores; give a node with more cores, or a slower network path to the database, more; keep the sum over all nodes (pool + 4 each) under PostgreSQL's `max_connections`."
        case .durability:
            "`full`: `synchronous=FULL`, every acknowledged message and API change survives power loss; the delivery engine's own bookkeeping (claims, attempt records) commits without waiting for the disk, so a power loss may take back the last of it, and those deliveries are sent again. `normal`: everything survives a crash of the process, but the last commits may be lost on power loss; faster ingest."
        case .adminToken: "static token with full rights over the default organisation"
        case .jwtSecret:
            "accept HS256 JWTs like svix-server (`sub` = `org_…`; or an app id plus an `org` claim for an app-scoped token). `hookbird token create [--org ORG] [--app APP]` makes them. Without this and `--admin-token`, the first start generates a secret, keeps it in the database and prints a token once."
        case .maxBody: "larger request bodies get `413` before they are read whole"
        case .httpsOnly: "refuse endpoint URLs that are not `https`"
        case .tlsCert: "serve HTTPS with this PEM certificate chain (needs `--tls-key`)"
        case .tlsKey: "the PEM private key of `--tls-cert`"
        case .workers:
            "webhook requests in flight at most (a request waiting for its answer costs ~40-60 KiB and no CPU; see [Benchmarks](#benchmarks), tenant isolation)"
        case .endpointMaxInFlight:
            "webhook requests in flight to one endpoint at most, per node (an endpoint's `maxInFlight` wins); halved per timeout in a row, down to 1"
        case .requestTimeout: "deadline of one webhook request"
        case .retrySchedule:
            "waits between attempts after the first (8 attempts); any list, e.g. `1s,2s,4s,8s`; ±20 % jitter"
        case .overloadDelay: "the least wait after a `429` or a timeout"
        case .disableAfter:
            "disable an endpoint that has done nothing but fail this long with at least two messages exhausted"
        case .signatureHeaders: "`webhook` (`webhook-id`/`-timestamp`/`-signature`) or `svix` (`svix-*`)"
        case .egressAllow: "CIDR ranges the SSRF guard lets through, e.g. `127.0.0.0/8` for local receivers"
        case .shutdownTimeout:
            "how long in-flight requests may finish after SIGTERM; a delivery cut off then records no attempt and is sent again after the next start (on PostgreSQL by any node at once)"
        case .trustedProxy:
            "CIDR ranges of reverse proxies whose `X-Forwarded-For`/`-Proto` the inbound gateway believes"
        case .publicURL:
            "the base URL providers reach Hookbird at: sources' `ingestUrl`, and the URL Twilio signs"
        case .logLevel: "`trace` … `critical`"
        case .secretsKey:
            "encrypt the secrets kept in the database with a key derived from this one (at least 32 bytes, e.g. `openssl rand -base64 32`); see below"
        case .previousSecretsKey: "to change `--secrets-key`: the key the secrets are encrypted with now"
        }
    }

    /// The README's configuration table: one row per setting.
    static var markdownTable: String {
        var lines = [
            "| flag | environment | file key | default | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        for setting in allCases {
            let key = setting.inFile ? "`\(setting.key)`" : "–"
            lines.append(
                "| `\(setting.flag)` | `\(setting.environmentVariable)` | \(key) | \(setting.defaultText) | \(setting.meaning) |"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
