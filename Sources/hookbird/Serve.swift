//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//


import ArgumentParser
import Foundation
import HookbirdCore
import HookbirdServer
import Logging

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
