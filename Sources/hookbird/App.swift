//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
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
            HOOKBIRD_ADMIN_TOKEN or HOOKBIRD_PORT; a flag on the command line wins over the environment.

            The nouns app, event-type, endpoint, message, attempt and source talk to a running server over its \
            API: give it with --url and --token, or HOOKBIRD_URL and HOOKBIRD_TOKEN. They print tables, or the \
            server's JSON with --json; a failed call prints the server's code and detail and exits with 1.
            """,
        version: "0.1.0",
        subcommands: [
            Serve.self, Migrate.self, Token.self, AppCommand.self, EventTypeCommand.self, EndpointCommand.self,
            MessageCommand.self, AttemptCommand.self, SourceCommand.self, Listen.self,
        ],
        defaultSubcommand: nil
    )
}

/// Options shared by the commands that open the database.
struct DatabaseOptions: ParsableArguments {
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

    func apply(to configuration: inout ServerConfiguration) throws {
        configuration.database = try DatabaseLocation(parsing: Env.value(database, "DATABASE") ?? "sqlite:hookbird.sqlite")
        let durabilityText = Env.value(durability, "DURABILITY") ?? "full"
        guard let durability = ServerConfiguration.durability(named: durabilityText) else {
            throw ValidationError("--durability must be full or normal, got '\(durabilityText)'")
        }
        configuration.durability = durability
        if let text = Env.value(databasePool.map(String.init), "DATABASE_POOL") {
            guard let pool = Int(text), (1...1000).contains(pool) else {
                throw ValidationError("--database-pool must be 1 to 1000, got '\(text)'")
            }
            configuration.databasePool = pool
        }
        let levelText = Env.value(logLevel, "LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        configuration.logLevel = level
        let previous = Env.value(previousSecretsKey, "PREVIOUS_SECRETS_KEY")
        if let key = Env.value(secretsKey, "SECRETS_KEY") {
            do {
                configuration.secrets = try SecretsCipher(secretsKey: key, previousKeys: previous.map { [$0] } ?? [])
            } catch {
                throw ValidationError("\(error)")
            }
        } else if previous != nil {
            throw ValidationError("--previous-secrets-key needs the new key as --secrets-key")
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

    func run() async throws {
        LoggingSystem.bootstrap(HookbirdLogHandler.init)
        var configuration = ServerConfiguration()
        try databaseOptions.apply(to: &configuration)
        let roleText = Env.value(role, "ROLE") ?? "all"
        guard let role = ServerRole(rawValue: roleText) else {
            throw ValidationError("--role must be api, worker or all; got '\(roleText)'")
        }
        configuration.role = role
        try configuration.validateRole()
        configuration.host = Env.value(host, "HOST") ?? "127.0.0.1"
        if let text = Env.value(port.map(String.init), "PORT") {
            guard let port = Int(text), (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
            configuration.port = port
        }
        configuration.adminToken = Env.value(adminToken, "ADMIN_TOKEN")
        configuration.jwtSecret = Env.value(jwtSecret, "JWT_SECRET")
        if let text = Env.value(maxBody.map(String.init), "MAX_BODY") {
            guard let bytes = Int(text), bytes > 0 else { throw ValidationError("--max-body must be a positive number of bytes") }
            configuration.maxBody = bytes
        }
        configuration.httpsOnly = Env.bool(httpsOnly, "HTTPS_ONLY")
        configuration.tlsCertificatePath = Env.value(tlsCert, "TLS_CERT")
        configuration.tlsKeyPath = Env.value(tlsKey, "TLS_KEY")
        try applyDelivery(to: &configuration.delivery)
        if let text = Env.value(trustedProxy, "TRUSTED_PROXY") {
            configuration.trustedProxies = try Self.ranges(text, option: "trusted-proxy")
        }
        if let url = Env.value(publicUrl, "PUBLIC_URL") {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ValidationError("--public-url must start with http:// or https://")
            }
            configuration.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }

        if let secret = configuration.jwtSecret { try HookbirdServer.validateJWTSecret(secret) }

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
    func duration(_ flag: String?, _ name: String, option: String) throws -> Duration? {
        guard let text = Env.value(flag, name) else { return nil }
        guard let duration = RetryPolicy.parseDuration(text) else {
            throw ValidationError("--\(option) must be a duration such as 500ms, 30s, 5m, 2h or 5d; got '\(text)'")
        }
        return duration
    }

    func applyDelivery(to delivery: inout DeliveryConfiguration) throws {
        if let text = Env.value(workers.map(String.init), "WORKERS") {
            guard let count = Int(text), (1...4096).contains(count) else { throw ValidationError("--workers must be 1 to 4096") }
            delivery.workers = count
        }
        if let text = Env.value(endpointMaxInFlight.map(String.init), "ENDPOINT_MAX_IN_FLIGHT") {
            guard let count = Int(text), InFlightLimit.range.contains(count) else {
                throw ValidationError("--endpoint-max-in-flight must be 1 to \(InFlightLimit.range.upperBound)")
            }
            delivery.endpointMaxInFlight = count
        }
        if let timeout = try duration(requestTimeout, "REQUEST_TIMEOUT", option: "request-timeout") {
            guard timeout > .zero else { throw ValidationError("--request-timeout must be positive") }
            delivery.requestTimeout = timeout
        }
        if let text = Env.value(retrySchedule, "RETRY_SCHEDULE") {
            guard let schedule = RetryPolicy.parseSchedule(text) else {
                throw ValidationError("--retry-schedule must be durations separated by commas, e.g. 5s,5m,30m,2h; got '\(text)'")
            }
            delivery.retryPolicy.schedule = schedule
        }
        if let delay = try duration(overloadDelay, "OVERLOAD_DELAY", option: "overload-delay") {
            delivery.retryPolicy.overloadDelay = delay
        }
        if let after = try duration(disableAfter, "DISABLE_AFTER", option: "disable-after") {
            delivery.disablePolicy.disableAfter = after
        }
        if let timeout = try duration(shutdownTimeout, "SHUTDOWN_TIMEOUT", option: "shutdown-timeout") {
            delivery.shutdownTimeout = timeout
        }
        if let text = Env.value(signatureHeaders, "SIGNATURE_HEADERS") {
            guard let mode = DeliveryConfiguration.SignatureHeaders(rawValue: text) else {
                throw ValidationError("--signature-headers must be webhook or svix")
            }
            delivery.signatureHeaders = mode
        }
        if let text = Env.value(egressAllow, "EGRESS_ALLOW") {
            delivery.egress.allow = try Self.ranges(text, option: "egress-allow")
        }
    }

    /// Parses comma-separated CIDR ranges.
    static func ranges(_ text: String, option: String) throws -> [IPRange] {
        try text.split(separator: ",").map { part in
            let item = part.trimmingCharacters(in: .whitespaces)
            guard let range = IPRange(item) else {
                throw ValidationError("--\(option) takes CIDR ranges such as 127.0.0.0/8 or fd00::/8; got '\(item)'")
            }
            return range
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the database schema migrations and exit.")

    @OptionGroup var databaseOptions: DatabaseOptions

    func run() async throws {
        var configuration = ServerConfiguration()
        try databaseOptions.apply(to: &configuration)
        try await HookbirdServer.withStore(configuration, logger: makeLogger(configuration.logLevel)) { _ in }
        print("migrations applied to \(configuration.database)")
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
            var secret = Env.value(jwtSecret, "JWT_SECRET")
            if let secret { try HookbirdServer.validateJWTSecret(secret) }
            if secret == nil {
                var configuration = ServerConfiguration()
                try databaseOptions.apply(to: &configuration)
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
