//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Configuration
import Foundation
import HookbirdCore
import HookbirdDelivery
import HookbirdServer
import HookbirdStorage
import Hummingbird
import Logging

@main
struct Hookbird: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookbird",
        abstract: "A self-hosted webhooks server: Svix-compatible API, embedded SQLite, one binary.",
        discussion: """
            Every option of `serve` can also be set with an environment variable HOOKBIRD_<NAME>, e.g. \
            HOOKBIRD_ADMIN_TOKEN or HOOKBIRD_PORT, or as a key of a YAML or JSON file given with --config \
            (admin-token, port); a flag on the command line wins over the environment, which wins over the file. \
            A bad value in the environment or the file, or a key of the file that is no setting, ends the start \
            with exit code 78; a bad flag with exit code 64.

            The nouns app, event-type, endpoint, message, attempt and source talk to a running server over its \
            API: give it with --url and --token, or HOOKBIRD_URL and HOOKBIRD_TOKEN. They print tables, or the \
            server's JSON with --json; a failed call prints the server's code and detail and exits with 1.
            """,
        version: "0.1.0",
        subcommands: [
            Serve.self, Migrate.self, Token.self, AppCommand.self, EventTypeCommand.self, EndpointCommand.self,
            MessageCommand.self, AttemptCommand.self, SourceCommand.self, Listen.self, Apply.self, Export.self,
            ConfigReference.self,
        ],
        defaultSubcommand: nil
    )
}

/// Options shared by the commands that open the database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "A YAML (.yaml, .yml) or JSON (.json) file of settings: one key per option of `serve`, named as the option without its dashes (port: 8071, admin-token: …). Flags and HOOKBIRD_* variables win over it; an unknown key or a bad value ends the start with exit code 78. [env: HOOKBIRD_CONFIG]")
    var config: String?

    @Option(help: "Database: sqlite:PATH (relative to the working directory or absolute) or postgres://user:password@host:port/database[?sslmode=disable|require|verify-full]. [env: HOOKBIRD_DATABASE] (default: sqlite:hookbird.sqlite)")
    var database: String?

    @Option(help: "SQLite durability: full (fsync on every commit, survives power loss) or normal (survives a crash of the process; the last commits may be lost on power loss). [env: HOOKBIRD_DURABILITY] (default: full)")
    var durability: String?

    @Option(help: "PostgreSQL: connections in this node's pool (one more is taken for LISTEN). Size it to the requests the node runs at once against the database: the API's concurrent requests plus a few for the delivery engine's claims and records; PostgreSQL's max_connections must cover every node's pool. [env: HOOKBIRD_DATABASE_POOL] (default: 10)")
    var databasePool: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. [env: HOOKBIRD_LOG_LEVEL] (default: info)")
    var logLevel: String?

    @Option(help: "Encrypt the secrets kept in the database (endpoint signing secrets, sources' provider secrets, the generated JWT secret) with a key derived from this one, at least 32 bytes (e.g. `openssl rand -base64 32`). Given once, it is needed from then on: a database whose secrets are encrypted does not open without it or with another one. [env: HOOKBIRD_SECRETS_KEY] (default: secrets stored in plaintext)")
    var secretsKey: String?

    @Option(help: "To change the --secrets-key: the key the database's secrets are encrypted with now. The first start with both encrypts them all again with --secrets-key; from then on --secrets-key alone opens them. [env: HOOKBIRD_PREVIOUS_SECRETS_KEY]")
    var previousSecretsKey: String?

    /// The options given on the command line, by setting.
    var given: [ServeSetting: String] {
        [
            .config: config, .database: database, .durability: durability, .databasePool: databasePool.map(String.init),
            .logLevel: logLevel, .secretsKey: secretsKey, .previousSecretsKey: previousSecretsKey,
        ].compactMapValues { $0 }
    }

    func apply(to configuration: inout ServerConfiguration, from settings: SettingSources) throws {
        configuration.database =
            try settings.parse(.database, "must be sqlite:PATH or postgres://…") { try DatabaseLocation(parsing: $0) }
            ?? .sqlite(path: "hookbird.sqlite")
        if let durability = try settings.parse(.durability, "must be full or normal", ServerConfiguration.durability) {
            configuration.durability = durability
        }
        if let pool = try settings.integer(.databasePool, in: 1...1000) {
            configuration.databasePool = pool
        }
        if let level = try settings.parse(
            .logLevel,
            "must be one of trace, debug, info, notice, warning, error, critical",
            Logger.Level.init(rawValue:)
        ) {
            configuration.logLevel = level
        }
        let previous = try settings.value(.previousSecretsKey)
        if let key = try settings.value(.secretsKey) {
            do {
                configuration.secrets = try SecretsCipher(
                    secretsKey: key.text,
                    previousKeys: previous.map { [$0.text] } ?? []
                )
            } catch {
                throw SettingSources.error(.secretsKey, key, "\(error)")
            }
        } else if let previous {
            throw SettingSources.error(
                .previousSecretsKey,
                previous,
                "--previous-secrets-key needs the new key as --secrets-key"
            )
        }
    }
}

/// Reads `HOOKBIRD_<NAME>` when an option is not given on the command line.
enum Env {
    static func value(_ flag: String?, _ name: String) -> String? {
        if let flag { return flag }
        guard let value = ProcessInfo.processInfo.environment["HOOKBIRD_\(name)"], !value.isEmpty else { return nil }
        return value
    }

    static func bool(_ flag: Bool, _ name: String) -> Bool {
        if flag { return true }
        return ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["HOOKBIRD_\(name)"]?.lowercased() ?? "")
    }
}

func makeLogger(_ level: Logger.Level) -> Logger {
    var logger = Logger(label: "hookbird")
    logger.logLevel = level
    return logger
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Hookbird server.",
        discussion: """
            With neither --admin-token nor --jwt-secret, the first start generates a JWT secret, keeps it in the \
            database and prints an organisation token once. SIGTERM or SIGINT shut the server down gracefully.
            """
    )

    @Option(help: "Address to listen on. [env: HOOKBIRD_HOST] (default: 127.0.0.1)")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one. [env: HOOKBIRD_PORT] (default: 8071)")
    var port: Int?

    @OptionGroup var databaseOptions: DatabaseOptions

    @Option(help: "What this process does: all (the API and the delivery engine), api (the API, inbound gateway and dashboard; no deliveries), or worker (deliveries only; the port serves just /api/v1/health and /metrics). api and worker nodes are meant for several processes sharing one PostgreSQL database; worker is refused on SQLite, whose file belongs to one process (api on SQLite only queues messages until an all process runs). [env: HOOKBIRD_ROLE] (default: all)")
    var role: String?

    @Option(help: "A static API token with full rights over the default organisation. [env: HOOKBIRD_ADMIN_TOKEN]")
    var adminToken: String?

    @Option(help: "Accept HS256 JWTs signed with this secret, as svix-server does (`hookbird token create` makes them). [env: HOOKBIRD_JWT_SECRET]")
    var jwtSecret: String?

    @Option(help: "Largest request body in bytes; bigger bodies get 413 before they are read whole. [env: HOOKBIRD_MAX_BODY] (default: 1048576)")
    var maxBody: Int?

    @Flag(help: "Refuse endpoint URLs that are not https. [env: HOOKBIRD_HTTPS_ONLY]")
    var httpsOnly = false

    @Option(help: "Webhook requests in flight at most. [env: HOOKBIRD_WORKERS] (default: 512)")
    var workers: Int?

    @Option(help: "Webhook requests in flight to one endpoint at most (an endpoint's own maxInFlight wins); halved per timeout in a row. [env: HOOKBIRD_ENDPOINT_MAX_IN_FLIGHT] (default: 32)")
    var endpointMaxInFlight: Int?

    @Option(help: "Deadline of one webhook request, e.g. 30s. [env: HOOKBIRD_REQUEST_TIMEOUT] (default: 30s)")
    var requestTimeout: String?

    @Option(help: "Waits between attempts after the first, comma-separated (e.g. 1s,2s,4s,8s). [env: HOOKBIRD_RETRY_SCHEDULE] (default: 5s,5m,30m,2h,5h,10h,10h)")
    var retrySchedule: String?

    @Option(help: "The least wait after a 429 or a timeout. [env: HOOKBIRD_OVERLOAD_DELAY] (default: 60s)")
    var overloadDelay: String?

    @Option(help: "Disable an endpoint that has done nothing but fail for this long, with at least two messages exhausted. [env: HOOKBIRD_DISABLE_AFTER] (default: 5d)")
    var disableAfter: String?

    @Option(help: "Signature header names: webhook (webhook-id/-timestamp/-signature) or svix (svix-*). [env: HOOKBIRD_SIGNATURE_HEADERS] (default: webhook)")
    var signatureHeaders: String?

    @Option(help: "CIDR ranges webhooks may go to although the SSRF guard blocks them (loopback, private, link-local, …), comma-separated, e.g. 127.0.0.0/8. [env: HOOKBIRD_EGRESS_ALLOW]")
    var egressAllow: String?

    @Option(help: "How long in-flight webhook requests may finish after SIGTERM. [env: HOOKBIRD_SHUTDOWN_TIMEOUT] (default: 30s)")
    var shutdownTimeout: String?

    @Option(help: "CIDR ranges of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto the inbound gateway believes, comma-separated. [env: HOOKBIRD_TRUSTED_PROXY]")
    var trustedProxy: String?

    @Option(help: "The base URL providers reach Hookbird at (e.g. https://hooks.example.com), shown as sources' ingestUrl and used for schemes that sign the URL (Twilio). [env: HOOKBIRD_PUBLIC_URL] (default: from --host, --port and TLS)")
    var publicUrl: String?

    @Option(help: "PEM certificate chain; serve HTTPS. Needs --tls-key. [env: HOOKBIRD_TLS_CERT]")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert. [env: HOOKBIRD_TLS_KEY]")
    var tlsKey: String?

    /// The options given on the command line, by setting.
    var given: [ServeSetting: String] {
        databaseOptions.given.merging(
            [
                .host: host, .port: port.map(String.init), .role: role, .adminToken: adminToken, .jwtSecret: jwtSecret,
                .maxBody: maxBody.map(String.init), .httpsOnly: httpsOnly ? "true" : nil,
                .workers: workers.map(String.init), .endpointMaxInFlight: endpointMaxInFlight.map(String.init),
                .requestTimeout: requestTimeout, .retrySchedule: retrySchedule,
                .overloadDelay: overloadDelay, .disableAfter: disableAfter, .signatureHeaders: signatureHeaders,
                .egressAllow: egressAllow, .shutdownTimeout: shutdownTimeout, .trustedProxy: trustedProxy,
                .publicURL: publicUrl, .tlsCert: tlsCert, .tlsKey: tlsKey,
            ].compactMapValues { $0 },
            uniquingKeysWith: { first, _ in first }
        )
    }

    func run() async throws {
        try await exitingOnConfigErrors { try await serve() }
    }

    private func serve() async throws {
        LoggingSystem.bootstrap(HookbirdLogHandler.init)
        let settings = try await SettingSources.load(commandLine: given)
        var configuration = ServerConfiguration()
        try databaseOptions.apply(to: &configuration, from: settings)
        if let role = try settings.parse(.role, "must be api, worker or all", ServerRole.init(rawValue:)) {
            configuration.role = role
        }
        try configuration.validateRole()
        configuration.host = try settings.value(.host)?.text ?? "127.0.0.1"
        if let port = try settings.integer(.port, in: 0...65_535) {
            configuration.port = port
        }
        configuration.adminToken = try settings.value(.adminToken)?.text
        configuration.jwtSecret = try settings.value(.jwtSecret)?.text
        if let bytes = try settings.integer(.maxBody, in: 1...Int.max, "must be a positive number of bytes") {
            configuration.maxBody = bytes
        }
        configuration.httpsOnly = try settings.isOn(.httpsOnly)
        configuration.tlsCertificatePath = try settings.value(.tlsCert)?.text
        configuration.tlsKeyPath = try settings.value(.tlsKey)?.text
        try Self.applyDelivery(to: &configuration.delivery, from: settings)
        if let ranges = try settings.parse(.trustedProxy, Self.cidrRanges, Self.ranges) {
            configuration.trustedProxies = ranges
        }
        if let url = try settings.parse(.publicURL, "must start with http:// or https://", { url in
            url.hasPrefix("http://") || url.hasPrefix("https://") ? url : nil
        }) {
            configuration.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        if let secret = configuration.jwtSecret {
            do {
                try HookbirdServer.validateJWTSecret(secret)
            } catch {
                if let value = try settings.value(.jwtSecret), value.source != .commandLine {
                    throw SettingSources.error(.jwtSecret, value, "\(error)")
                }
                throw error
            }
        }

        let logger = makeLogger(configuration.logLevel)
        let store = try await HookbirdServer.openStore(configuration, logger: logger)
        let scheme = configuration.tlsCertificatePath == nil ? "http" : "https"
        let host = configuration.host
        let database = configuration.database
        let serverRole = configuration.role
        try await HookbirdServer.serve(
            configuration: configuration,
            store: store,
            logger: logger,
            onNewToken: { newToken in
                print(
                """
                No --admin-token or --jwt-secret was given, so Hookbird generated a JWT secret and keeps it in the
                database. This organisation token is printed once; keep it:

                    \(newToken)

                """
                )
                fflush(nil)  // flush stdout now: under systemd or a pipe it is block-buffered
            },
            onServerRunning: { port in
                logger.notice("Hookbird listening on \(scheme)://\(host):\(port) (role \(serverRole), database \(database))")
            }
        )
    }
}

extension Serve {
    /// A duration such as 500ms, 30s, 5m, 2h or 5d.
    static func duration(_ settings: SettingSources, _ setting: ServeSetting) throws -> Duration? {
        try settings.parse(setting, "must be a duration such as 500ms, 30s, 5m, 2h or 5d", RetryPolicy.parseDuration)
    }

    static func applyDelivery(to delivery: inout DeliveryConfiguration, from settings: SettingSources) throws {
        if let count = try settings.integer(.workers, in: 1...16384) {
            delivery.workers = count
        }
        if let count = try settings.integer(.endpointMaxInFlight, in: InFlightLimit.range) {
            delivery.endpointMaxInFlight = count
        }
        if let timeout = try settings.parse(.requestTimeout, "must be a positive duration such as 30s", { text in
            RetryPolicy.parseDuration(text).flatMap { $0 > .zero ? $0 : nil }
        }) {
            delivery.requestTimeout = timeout
        }
        if let schedule = try settings.parse(
            .retrySchedule,
            "must be durations separated by commas, e.g. 5s,5m,30m,2h",
            RetryPolicy.parseSchedule
        ) {
            delivery.retryPolicy.schedule = schedule
        }
        if let delay = try duration(settings, .overloadDelay) {
            delivery.retryPolicy.overloadDelay = delay
        }
        if let after = try duration(settings, .disableAfter) {
            delivery.disablePolicy.disableAfter = after
        }
        if let timeout = try duration(settings, .shutdownTimeout) {
            delivery.shutdownTimeout = timeout
        }
        if let mode = try settings.parse(
            .signatureHeaders,
            "must be webhook or svix",
            DeliveryConfiguration.SignatureHeaders.init(rawValue:)
        ) {
            delivery.signatureHeaders = mode
        }
        if let ranges = try settings.parse(.egressAllow, cidrRanges, ranges) {
            delivery.egress.allow = ranges
        }
    }

    static let cidrRanges = "takes CIDR ranges such as 127.0.0.0/8 or fd00::/8, comma-separated"

    /// Parses comma-separated CIDR ranges; `nil` if one is not a range.
    static func ranges(_ text: String) -> [IPRange]? {
        var ranges: [IPRange] = []
        for part in text.split(separator: ",") {
            guard let range = IPRange(part.trimmingCharacters(in: .whitespaces)) else { return nil }
            ranges.append(range)
        }
        return ranges
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the database schema migrations and exit.")

    @OptionGroup var databaseOptions: DatabaseOptions

    func run() async throws {
        try await exitingOnConfigErrors {
            let settings = try await SettingSources.load(commandLine: databaseOptions.given)
            var configuration = ServerConfiguration()
            try databaseOptions.apply(to: &configuration, from: settings)
            try await HookbirdServer.withStore(configuration, logger: makeLogger(configuration.logLevel)) { _ in }
            print("migrations applied to \(configuration.database)")
        }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make API tokens (locally, from the server's JWT secret).",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a JWT for an organisation, or scoped to one application.",
            discussion: """
                Unlike app, endpoint, message and the other nouns, this does not call a server: it signs the token, \
                with --jwt-secret, or with the secret the server generated and keeps in --database when none is \
                given. So it runs where the server's secret or database is, and needs no --url or --token. The \
                token it prints is what the others take as --token or HOOKBIRD_TOKEN.
                """
        )

        @Option(help: "The organisation (org_…). (default: the default organisation)")
        var org: String?

        @Option(help: "An application id (app_…): the token may then only use that application.")
        var app: String?

        @Option(help: "The secret the server verifies tokens with. [env: HOOKBIRD_JWT_SECRET]")
        var jwtSecret: String?

        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            try await exitingOnConfigErrors { try await create() }
        }

        private func create() async throws {
            let orgID: OrganizationID
            if let org {
                guard let parsed = OrganizationID(rawValue: org) else { throw ValidationError("--org must start with org_") }
                orgID = parsed
            } else {
                orgID = .default
            }
            let appID: ApplicationID?
            if let app {
                guard let parsed = ApplicationID(rawValue: app) else {
                    throw ValidationError("--app must be an application id (app_ followed by 27 characters)")
                }
                appID = parsed
            } else {
                appID = nil
            }
            var given = databaseOptions.given
            given[.jwtSecret] = jwtSecret
            let settings = try await SettingSources.load(commandLine: given)
            var secret = try settings.value(.jwtSecret)?.text
            if let secret { try HookbirdServer.validateJWTSecret(secret) }
            if secret == nil {
                var configuration = ServerConfiguration()
                try databaseOptions.apply(to: &configuration, from: settings)
                if case .sqlite(let path) = configuration.database, !FileManager.default.fileExists(atPath: path) {
                    throw ValidationError("no database at \(path): pass --jwt-secret, or the --database the server uses")
                }
                secret = try await HookbirdServer.withStore(configuration, logger: makeLogger(.warning)) { store in
                    try await store.setting("jwt_secret")
                }
            }
            guard let secret else {
                throw ValidationError(
                    "no JWT secret: pass --jwt-secret, or --database pointing at a database whose server generated one"
                )
            }
            print(try await HookbirdServer.makeToken(secret: secret, org: orgID, app: appID))
        }
    }
}

/// `hookbird config-reference`: the README's configuration table, made from ``ServeSetting``.
struct ConfigReference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-reference",
        abstract: "Print the table of serve's settings (flag, environment variable, config file key) in Markdown.",
        shouldDisplay: false
    )

    func run() throws {
        print(ServeSetting.markdownTable, terminator: "")
    }
}
