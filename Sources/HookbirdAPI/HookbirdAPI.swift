//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
public import HookbirdStorage
public import Hummingbird
import NIOCore

/// Settings of the management API.
public struct APIConfiguration: Sendable {
    /// Largest request body accepted; bigger ones get 413 before they are read whole.
    public var maxBody: Int
    /// Refuse plain-http endpoint URLs.
    public var httpsOnly: Bool
    /// How long a response to an `Idempotency-Key` is replayed.
    public var idempotencyRetention: Duration
    /// The base URL providers reach Hookbird at, for sources' `ingestUrl`.
    public var publicURL: String
    /// Time between heartbeats on an idle listener stream (`hookbird listen`).
    public var listenHeartbeat: Duration

    public init(
        maxBody: Int = 1 << 20,
        httpsOnly: Bool = false,
        idempotencyRetention: Duration = .seconds(12 * 3600),
        publicURL: String = "http://127.0.0.1:8071",
        listenHeartbeat: Duration = .seconds(15)
    ) {
        self.maxBody = maxBody
        self.httpsOnly = httpsOnly
        self.idempotencyRetention = idempotencyRetention
        self.publicURL = publicURL
        self.listenHeartbeat = listenHeartbeat
    }
}

/// The Svix-compatible `/api/v1` management API.
///
/// ```swift
/// let router = Router(context: HookbirdRequestContext.self)
/// let api = ManagementAPI(store: store, authenticator: authenticator, configuration: .init(), listeners: hub)
/// api.addRoutes(to: router)
/// ```
public struct ManagementAPI: Sendable {
    let store: any HookbirdStore
    let authenticator: Authenticator
    let configuration: APIConfiguration
    let listeners: any ListenerConnector
    let routeTable = RouteTable()

    /// - Parameters:
    ///   - store: Everything the API reads and writes.
    ///   - authenticator: Checks API tokens.
    ///   - configuration: Limits and settings.
    ///   - listeners: The listeners connected to this process (`/listen` routes); the delivery engine must reach
    ///     stream endpoints through the same connector (HookbirdServer gives both sides one `ListenerHub`).
    public init(
        store: any HookbirdStore,
        authenticator: Authenticator,
        configuration: APIConfiguration,
        listeners: any ListenerConnector
    ) {
        self.store = store
        self.authenticator = authenticator
        self.configuration = configuration
        self.listeners = listeners
    }

    /// Middleware that answers every error as JSON; add it before any route.
    public func errorMiddleware() -> ErrorMiddleware<HookbirdRequestContext> {
        ErrorMiddleware(routes: routeTable)
    }

    /// Adds `/api/v1/…` and `/openapi.json`.
    public func addRoutes(to router: Router<HookbirdRequestContext>) {
        let store = self.store
        router.get("/api/v1/health") { _, _ in
            // A read proves the database answers.
            _ = try await store.setting("health")
            return JSONResponse.make(status: .ok, ["status": "ok", "database": "ok"])
        }
        router.get("/api/v1/health/ping") { _, _ in JSONResponse.noContent() }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json))
            )
        }
        routeTable.add("/api/v1/health", .get)
        routeTable.add("/api/v1/health/ping", .get)
        routeTable.add("/openapi.json", .get)

        let group = router.group("/api/v1")
            .add(middleware: BodyLimitMiddleware(maxBody: configuration.maxBody))
            .add(middleware: AuthMiddleware(authenticator: authenticator))
            .add(
                middleware: IdempotencyMiddleware(store: store, retention: configuration.idempotencyRetention)
            )
        let routes = Routes(group: group, table: routeTable, prefix: "/api/v1")
        ApplicationController(store: store).addRoutes(to: routes)
        EventTypeController(store: store).addRoutes(to: routes)
        EndpointController(store: store, httpsOnly: configuration.httpsOnly).addRoutes(to: routes)
        EndpointController(store: store, httpsOnly: configuration.httpsOnly, operational: true).addRoutes(to: routes)
        MessageController(store: store).addRoutes(to: routes)
        AttemptController(store: store).addRoutes(to: routes)
        SourceController(store: store, publicURL: configuration.publicURL).addRoutes(to: routes)
        ListenController(store: store, hub: listeners, heartbeat: configuration.listenHeartbeat).addRoutes(to: routes)
    }
}
