//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
import HookbirdCore
import HookbirdOperations
public import HookbirdHTTP
public import HookbirdStorage
public import Hummingbird
import Logging
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
    let listenerRegistry: (any ListenerRegistry)?
    /// What this node's delivery engine does for an endpoint, for its stats.
    let activity: EndpointActivity?
    let routeTable = RouteTable()

    /// - Parameters:
    ///   - store: Everything the API reads and writes.
    ///   - authenticator: Checks API tokens.
    ///   - configuration: Limits and settings.
    ///   - listeners: The listeners connected to this process (`/listen` routes); the delivery engine must reach
    ///     stream endpoints through the same connector (HookbirdServer gives both sides one `ListenerHub`).
    ///   - listenerRegistry: Where connected listeners are recorded so that other nodes on the database leave their
    ///     deliveries to this one: for a node that delivers on a shared database; `nil` otherwise.
    public init(
        store: any HookbirdStore,
        authenticator: Authenticator,
        configuration: APIConfiguration,
        listeners: any ListenerConnector,
        listenerRegistry: (any ListenerRegistry)? = nil,
        activity: EndpointActivity? = nil
    ) {
        self.activity = activity
        self.store = store
        self.authenticator = authenticator
        self.configuration = configuration
        self.listeners = listeners
        self.listenerRegistry = listenerRegistry
    }

    /// Middleware that answers every error as JSON; add it before any route.
    public func errorMiddleware() -> ErrorMiddleware<JSONErrorRenderer<HookbirdRequestContext>> {
        ErrorMiddleware(renderer: JSONErrorRenderer(), routes: routeTable)
    }

    /// Adds `/api/v1/…` and `/openapi.json`.
    public func addRoutes(to router: Router<HookbirdRequestContext>) {
        addHealthRoutes(to: router)
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes))
            )
        }
        routeTable.add("/openapi.json", .get)

        // Every /api/v1 route: the declared length checked before authentication, the body read after it, then the
        // `Idempotency-Key`: kept by the middleware, or, for routes that store it with what they write in the same
        // transaction (`recordedByRoute`), handed to them.
        func api(_ idempotency: IdempotencyMiddleware) -> Routes {
            let group = router.group("/api/v1")
                .add(middleware: BodyLimitMiddleware(maxBody: configuration.maxBody, collecting: false))
                .add(middleware: AuthMiddleware(authenticator: authenticator))
                .add(middleware: BodyLimitMiddleware(maxBody: configuration.maxBody))
                .add(middleware: idempotency)
            return Routes(group: group, table: routeTable, prefix: "/api/v1")
        }
        let routes = api(IdempotencyMiddleware(store: store, retention: configuration.idempotencyRetention))
        let recordingRoutes = api(IdempotencyMiddleware(store: store, recordedByRoute: true))
        // svix-server answers a logout with 204 for any valid token (it keeps no sessions to end); so does Hookbird
        // until the customer portal gives app tokens a session.
        routes.on("auth/logout", .post) { _, context in
            _ = try context.requirePrincipal()
            return JSONResponse.noContent()
        }
        ApplicationController(store: store).addRoutes(to: routes)
        EventTypeController(store: store).addRoutes(to: routes)
        EndpointController(store: store, httpsOnly: configuration.httpsOnly, activity: activity).addRoutes(to: routes)
        EndpointController(store: store, httpsOnly: configuration.httpsOnly, operational: true).addRoutes(to: routes)
        MessageController(store: store).addRoutes(to: routes, recordingKeys: recordingRoutes)
        AttemptController(store: store).addRoutes(to: routes)
        SourceController(store: store, publicURL: configuration.publicURL).addRoutes(to: routes)
        ListenController(
            store: store,
            hub: listeners,
            registry: listenerRegistry,
            heartbeat: configuration.listenHeartbeat
        ).addRoutes(to: routes)
    }

    /// Adds only `/api/v1/health` and `/api/v1/health/ping`, which need no token: what a node without the API
    /// (`--role worker`) still serves.
    ///
    /// `/api/v1/health` reads the database: 200 `{"status":"ok","database":"ok"}` when it answers, 503
    /// `{"code":"service_unavailable","detail":…,"status":"unavailable","database":"unavailable"}` when it does
    /// not (a load balancer then takes the node out of rotation until the database is back). `/ping` answers
    /// 204 without touching the database. Both answer `HEAD` too, with the same status and no body, as svix-server
    /// does.
    public func addHealthRoutes(to router: Router<HookbirdRequestContext>) {
        let store = self.store
        let health: @Sendable (Request, HookbirdRequestContext) async throws -> Response = { _, context in
            do {
                // A read proves the database answers.
                _ = try await store.setting("health")
            } catch let error as StorageError where error.isUnavailable {
                context.logger.debug("health check: database unavailable", metadata: ["error": "\(error)"])
                return JSONResponse.make(
                    status: .serviceUnavailable,
                    [
                        "code": "service_unavailable",
                        "detail": "The database is unavailable: \(error)",
                        "status": "unavailable",
                        "database": "unavailable",
                    ]
                )
            }
            return JSONResponse.make(status: .ok, ["status": "ok", "database": "ok"])
        }
        router.get("/api/v1/health", use: health)
        router.head("/api/v1/health") { request, context in
            let response = try await health(request, context)
            return Response(status: response.status, headers: response.headers)
        }
        router.get("/api/v1/health/ping") { _, _ in JSONResponse.noContent() }
        router.head("/api/v1/health/ping") { _, _ in JSONResponse.noContent() }
        for method in [HTTPRequest.Method.get, .head] {
            routeTable.add("/api/v1/health", method)
            routeTable.add("/api/v1/health/ping", method)
        }
    }
}
