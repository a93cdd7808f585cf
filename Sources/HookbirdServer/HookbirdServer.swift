//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdAPI
import HookbirdHTTP
import HookbirdDashboard
import HookbirdDelivery
import HookbirdIngest
public import HookbirdCore
import HookbirdPostgres
import HookbirdSQLite
public import HookbirdStorage
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import Metrics
import NIOCore
import NIOSSL
public import Prometheus
import ServiceLifecycle
import UnixSignals

/// The composition root: opens the store, builds the router and the server.
///
/// ```swift
/// let app = try await HookbirdServer.buildApplication(configuration: configuration, logger: logger)
/// try await app.runService()   // SIGTERM/SIGINT shut it down gracefully
/// ```
public enum HookbirdServer {
    /// The Prometheus registry every metric of the process goes to; bootstrapped once.
    public static let metricsRegistry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Opens the configured database. The store does not run yet (see ``ServerStore``); ``serve(configuration:store:logger:onNewToken:onServerRunning:)``
    /// runs it first in the server's `ServiceGroup`, and ``withStore(_:logger:_:)`` runs it around other work.
    /// - Throws: `StorageError.unavailable` when the database cannot be opened or reached.
    public static func openStore(_ configuration: ServerConfiguration, logger: Logger) async throws -> ServerStore {
        switch configuration.database {
        case .sqlite(let path):
            let store = try SQLiteStore.open(
                path: path,
                durability: configuration.durability,
                secrets: configuration.secrets,
                logger: logger
            )
            return ServerStore(store: store, backend: .sqlite(handOff: store.handOff))
        case .postgres(let location):
            let store = try await PostgresStore.open(
                location: location,
                maximumConnections: configuration.databasePool,
                secrets: configuration.secrets,
                logger: logger
            )
            return ServerStore(store: store, backend: .postgres(store))
        }
    }

    /// Applies pending migrations and checks the secrets keys against the database (with a key, sealing what is not
    /// sealed with it: plaintext, or sealed with `--previous-secrets-key`; see ``SecretsAtRestStore/prepareSecrets()``);
    /// runs on a running store, before the server takes requests.
    /// - Throws: `StorageError`, or ``SecretsKeyError`` when the key does not fit the database.
    public static func prepareStore(_ store: any HookbirdStore, logger: Logger) async throws {
        try await store.migrate()
        let sealed = try await store.prepareSecrets()
        if sealed > 0 { logger.notice("encrypted the stored secrets of \(sealed) rows with --secrets-key") }
    }

    /// Opens the configured database, runs it, prepares it (``prepareStore(_:logger:)``) and runs `body`; then stops
    /// the store and waits until it has closed the database: for commands that use the database without serving.
    public static func withStore<T: Sendable>(
        _ configuration: ServerConfiguration,
        logger: Logger,
        _ body: @Sendable (any HookbirdStore) async throws -> T
    ) async throws -> T {
        let opened = try await openStore(configuration, logger: logger)
        return try await opened.store.withRunning { store in
            try await prepareStore(store, logger: logger)
            return try await body(store)
        }
    }

    /// The JWT secret a server generated and keeps in the configured database (`nil` if it has none): for
    /// `hookbird token`, which signs tokens with it.
    public static func storedJWTSecret(_ configuration: ServerConfiguration, logger: Logger) async throws -> String? {
        try await withStore(configuration, logger: logger) { store in try await store.setting("jwt_secret") }
    }

    /// The JWT secret in force: the configured one, or, when neither an admin token nor a secret is configured, one
    /// generated on the first start and kept in the database. A newly generated secret comes with an organisation
    /// token, returned once so it can be printed.
    public static func resolveJWTSecret(
        _ configuration: ServerConfiguration,
        store: any HookbirdStore
    ) async throws -> (secret: String?, newToken: String?) {
        if let secret = configuration.jwtSecret { return (secret, nil) }
        if configuration.adminToken != nil { return (try await store.setting("jwt_secret"), nil) }
        if let existing = try await store.setting("jwt_secret") { return (existing, nil) }
        var generator = SystemRandomNumberGenerator()
        let candidate = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
            .base64EncodedString()
        let stored = try await store.insertSettingIfAbsent("jwt_secret", value: candidate)
        guard stored == candidate else { return (stored, nil) }
        return (stored, try await Authenticator.makeToken(secret: stored, org: .default))
    }

    /// The routes a node serves, by ``ServerConfiguration/role``: the API (`/api/v1`, `/openapi.json`), the inbound
    /// gateway, the dashboard and `/metrics`; a `worker` serves only the health routes and `/metrics`. Every route of
    /// `/api/v1` and `/webhook` is in the OpenAPI document and the other way round (`OpenAPIDocumentTests` walks
    /// `router.routes`).
    /// - Parameters:
    ///   - listeners: The connector `hookbird listen` streams go through; the delivery engine must use the same one.
    static func makeRouter(
        configuration: ServerConfiguration,
        store opened: ServerStore,
        jwtSecret: String?,
        listeners: ListenerHub,
        activity: EndpointActivity = EndpointActivity()
    ) async throws -> Router<HookbirdRequestContext> {
        let store = opened.store
        let registry = metricsRegistry
        let authenticator = await Authenticator(adminToken: configuration.adminToken, jwtSecret: jwtSecret)
        let api = ManagementAPI(
            store: store,
            authenticator: authenticator,
            configuration: APIConfiguration(
                maxBody: configuration.maxBody,
                httpsOnly: configuration.httpsOnly,
                publicURL: configuration.effectivePublicURL
            ),
            listeners: listeners,
            // On a shared database, other nodes leave a listener's deliveries to the node it is connected to, if
            // that node delivers (a listener on an `api` node is reached by no one, as documented).
            listenerRegistry: configuration.runWorkers ? opened.listenerRegistry : nil,
            activity: activity
        )
        let router = Router(context: HookbirdRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: api.errorMiddleware())
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
        if configuration.role.servesAPI {
            api.addRoutes(to: router)
            IngestController(
                store: store,
                configuration: IngestConfiguration(
                    trustedProxies: configuration.trustedProxies,
                    publicURL: configuration.publicURL
                )
            ).addRoutes(to: router)
            try DashboardController(
                store: store,
                authenticator: authenticator,
                configuration: DashboardConfiguration(
                    publicURL: configuration.effectivePublicURL,
                    secureCookies: configuration.tlsCertificatePath != nil
                ),
                activity: activity
            ).addRoutes(to: router)
        } else {
            // A worker node: health and metrics only; every other path is a JSON 404.
            api.addHealthRoutes(to: router)
        }
        return router
    }

    /// Builds the HTTP application over an open store.
    ///
    /// What it serves depends on ``ServerConfiguration/role``: `all` serves the API, the inbound gateway, the
    /// dashboard and `/metrics` and runs the delivery engine; `api` does the same without the engine; `worker`
    /// runs the engine and serves only `/api/v1/health` and `/metrics`.
    /// - Parameters:
    ///   - configuration: The server settings.
    ///   - store: The store (see ``openStore(_:logger:)``), running and prepared; the caller runs it around the
    ///     application (``serve(configuration:store:logger:onNewToken:onServerRunning:)`` does).
    ///   - jwtSecret: The JWT secret in force (see ``resolveJWTSecret(_:store:)``).
    ///   - logger: The server's logger.
    ///   - onServerRunning: Called with the bound port once the server listens.
    public static func buildApplication(
        configuration: ServerConfiguration,
        store opened: ServerStore,
        jwtSecret: String?,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        let store = opened.store
        // `hookbird listen` clients: connected through the API, reached by the delivery engine.
        let listeners = ListenerHub()
        // What the delivery engine does for each endpoint, shown by the endpoint's stats.
        let activity = EndpointActivity()
        let router = try await makeRouter(
            configuration: configuration,
            store: opened,
            jwtSecret: jwtSecret,
            listeners: listeners,
            activity: activity
        )

        // A connection that sends nothing for a minute (an idle keep-alive, or a stalled upload) is closed.
        let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(60))
        let server: HTTPServerBuilder
        switch (configuration.tlsCertificatePath, configuration.tlsKeyPath) {
        case (let cert?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain,
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            )
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        case (nil, nil):
            server = .http1(configuration: http1)
        default:
            throw ConfigurationError("--tls-cert and --tls-key must be given together")
        }
        var services: [any Service] = []
        if configuration.runWorkers {
            let delivery = opened.engineConfiguration(configuration.delivery)
            services.append(
                DeliveryService(
                    store: store,
                    handOff: opened.handOff,
                    sharedThrottle: opened.sharedThrottle,
                    makeTransport: {
                        ListenerRoutingTransport(
                            hub: listeners,
                            other: HTTPDeliveryTransport(egress: delivery.egress, maxConnectionsPerHost: delivery.workers)
                        )
                    },
                    configuration: delivery,
                    activity: activity,
                    logger: logger
                )
            )
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Hookbird"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }
}

extension HookbirdServer {
    /// Runs Hookbird until SIGTERM or SIGINT: the store first (its connections, writer and wake-ups), then, in the
    /// same `ServiceGroup`, the server, which prepares the store (``prepareStore(_:logger:)``), resolves the JWT
    /// secret and serves. Shutdown goes the other way: the HTTP server stops accepting, the delivery engine finishes
    /// in-flight requests (whatever is still running after the shutdown timeout, plus a margin, is cancelled), and
    /// the store stops last, writing what is queued and closing the database.
    /// - Parameters:
    ///   - configuration: The server settings.
    ///   - store: The opened store (see ``openStore(_:logger:)``).
    ///   - logger: The server's logger.
    ///   - onNewToken: Called with the organisation token of a JWT secret generated on this start, once.
    ///   - onServerRunning: Called with the bound port once the server listens.
    public static func serve(
        configuration: ServerConfiguration,
        store: ServerStore,
        logger: Logger,
        onNewToken: @escaping @Sendable (String) -> Void = { _ in },
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let server = ServerService(
            configuration: configuration,
            store: store,
            logger: logger,
            onNewToken: onNewToken,
            onServerRunning: onServerRunning
        )
        var group = ServiceGroupConfiguration(
            services: [.init(service: store.store), .init(service: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = configuration.delivery.shutdownTimeout + .seconds(5)
        group.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: group).run()
    }

    /// A JWT the server accepts with `secret` (`hookbird token create`): for an organisation, or scoped to one of
    /// its applications.
    public static func makeToken(secret: String, org: OrganizationID, app: ApplicationID? = nil) async throws -> String {
        try await Authenticator.makeToken(secret: secret, org: org, app: app)
    }

    /// Checks a JWT secret: HS256 needs a key at least as long as its hash (32 bytes, RFC 7518 §3.2).
    public static func validateJWTSecret(_ secret: String) throws {
        guard secret.utf8.count >= 32 else {
            throw ConfigurationError(
                "--jwt-secret must be at least 32 bytes long (HS256 keys must be as long as the hash, RFC 7518 §3.2); got \(secret.utf8.count)"
            )
        }
    }
}
