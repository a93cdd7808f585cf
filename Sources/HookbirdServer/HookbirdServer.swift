//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdAPI
import HookbirdDashboard
import HookbirdDelivery
import HookbirdIngest
import HookbirdCore
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

    /// Opens the configured database, applies pending migrations and checks the secrets keys against it (with a
    /// key, sealing what is not sealed with it: plaintext, or sealed with `--previous-secrets-key`; see
    /// ``SecretsAtRestStore/prepareSecrets()``). The caller closes the store; a PostgreSQL store runs its connection
    /// pool until then.
    /// - Throws: `StorageError`, or ``SecretsKeyError`` when the key does not fit the database.
    public static func openStore(_ configuration: ServerConfiguration, logger: Logger) async throws -> any HookbirdStore {
        let store: any HookbirdStore
        switch configuration.database {
        case .sqlite(let path):
            store = try await SQLiteStore.open(
                path: path,
                durability: configuration.durability,
                secrets: configuration.secrets,
                logger: logger
            )
        case .postgres(let location):
            store = try await PostgresStore.open(location: location, secrets: configuration.secrets, logger: logger)
        }
        do {
            try await store.migrate()
            let sealed = try await store.prepareSecrets()
            if sealed > 0 { logger.notice("encrypted the stored secrets of \(sealed) rows with --secrets-key") }
        } catch {
            try? await store.close()
            throw error
        }
        return store
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

    /// Builds the HTTP application over an open store.
    ///
    /// What it serves depends on ``ServerConfiguration/role``: `all` serves the API, the inbound gateway, the
    /// dashboard and `/metrics` and runs the delivery engine; `api` does the same without the engine; `worker`
    /// runs the engine and serves only `/api/v1/health` and `/metrics`.
    /// - Parameters:
    ///   - configuration: The server settings.
    ///   - store: The store (see ``openStore(_:logger:)``); the caller closes it after the application has run.
    ///   - jwtSecret: The JWT secret in force (see ``resolveJWTSecret(_:store:)``).
    ///   - logger: The server's logger.
    ///   - onServerRunning: Called with the bound port once the server listens.
    public static func buildApplication(
        configuration: ServerConfiguration,
        store: any HookbirdStore,
        jwtSecret: String?,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        let registry = metricsRegistry
        let authenticator = await Authenticator(adminToken: configuration.adminToken, jwtSecret: jwtSecret)
        // `hookbird listen` clients: connected through the API, reached by the delivery engine.
        let listeners = ListenerHub()
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
            listenerRegistry: configuration.runWorkers ? store as? any ListenerRegistry : nil
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
                )
            ).addRoutes(to: router)
        } else {
            // A worker node: health and metrics only; every other path is a JSON 404.
            api.addHealthRoutes(to: router)
        }

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
            let delivery = configuration.delivery
            services.append(
                DeliveryService(
                    store: store,
                    makeTransport: {
                        ListenerRoutingTransport(
                            hub: listeners,
                            other: HTTPDeliveryTransport(egress: delivery.egress, maxConnectionsPerHost: delivery.workers)
                        )
                    },
                    configuration: delivery,
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
    /// Runs the application until SIGTERM or SIGINT, then shuts down gracefully: the HTTP server stops accepting,
    /// the delivery engine finishes in-flight requests, and whatever is still running after `shutdownTimeout`
    /// (plus a margin) is cancelled.
    public static func run(_ application: some ApplicationProtocol, shutdownTimeout: Duration, logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [application],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = shutdownTimeout + .seconds(5)
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
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
