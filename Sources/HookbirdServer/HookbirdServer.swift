//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdAPI
import HookbirdDelivery
import HookbirdCore
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

    /// Opens the configured database and applies pending migrations.
    public static func openStore(_ configuration: ServerConfiguration, logger: Logger) async throws -> any HookbirdStore {
        switch configuration.database {
        case .sqlite(let path):
            let store = try await SQLiteStore.open(path: path, durability: configuration.durability, logger: logger)
            try await store.migrate()
            return store
        }
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
    /// - Parameters:
    ///   - configuration: The server settings.
    ///   - store: The store (see ``openStore(_:logger:)``); it is closed when the application shuts down.
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
        let api = ManagementAPI(
            store: store,
            authenticator: authenticator,
            configuration: APIConfiguration(maxBody: configuration.maxBody, httpsOnly: configuration.httpsOnly)
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
        api.addRoutes(to: router)

        let server: HTTPServerBuilder
        switch (configuration.tlsCertificatePath, configuration.tlsKeyPath) {
        case (let cert?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain,
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            )
            server = try .tls(.http1(), tlsConfiguration: tls)
        case (nil, nil):
            server = .http1()
        default:
            throw ConfigurationError("--tls-cert and --tls-key must be given together")
        }
        var services: [any Service] = [StoreCloser(store: store, logger: logger)]
        if configuration.runWorkers {
            let transport = HTTPDeliveryTransport(
                egress: configuration.delivery.egress,
                maxConnectionsPerHost: configuration.delivery.workers
            )
            services.append(
                DeliveryService(store: store, transport: transport, configuration: configuration.delivery, logger: logger)
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

/// Closes the store when the service group shuts down, after the HTTP server has stopped.
struct StoreCloser: Service {
    let store: any HookbirdStore
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try await store.close()
        } catch {
            logger.warning("closing the database failed", metadata: ["error": "\(error)"])
        }
    }
}
