//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
import HookbirdCore
import HookbirdOperations
import HookbirdHTTP
import HookbirdStorage
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `/api/v1/app/{app_id}/listen`: stream endpoints, for `hookbird listen`.
///
/// A stream endpoint is an ordinary endpoint of the application whose URL is `hookbird-listen://<endpoint id>`
/// (see ``StreamEndpoint``). The listener registers it (`POST …/listen`, idempotent by `uid`), keeps
/// `GET …/listen/{endpoint}/stream` open (server-sent events: `ready`, then one `webhook` event per delivery and a
/// comment line as heartbeat; `replaced` when another listener takes the endpoint over), forwards each webhook to its local URL and posts the outcome to
/// `POST …/listen/{endpoint}/result`. Connecting makes the deliveries that wait for a retry due at once.
struct ListenController {
    let store: any HookbirdStore
    let hub: any ListenerConnector
    /// Where connected listeners are recorded for the other nodes on the database (PostgreSQL, on a node that
    /// delivers); `nil` when this process is the only one that could deliver.
    let registry: (any ListenerRegistry)?
    /// Time between heartbeats on an idle stream; the registration is renewed with each.
    let heartbeat: Duration

    /// How long a registration lasts unless renewed: a node that dies without unregistering holds its listeners'
    /// deliveries this long at most.
    var registrationLifetime: Duration { max(heartbeat * 3, .seconds(30)) }
    var access: Access { Access(store: store) }
    /// Shares endpoint writes (uid conflicts) and the `endpoint.*` operational webhooks with the endpoint routes.
    var endpoints: EndpointController { EndpointController(store: store, httpsOnly: false) }

    func addRoutes(to routes: Routes) {
        routes.on("app/:app_id/listen", .post, use: register)
        routes.on("app/:app_id/listen/:endpoint_id/stream", .get, use: stream)
        routes.on("app/:app_id/listen/:endpoint_id/result", .post, use: result)
    }

    /// Finds the stream endpoint a request names; an ordinary endpoint is a 409.
    func resolve(_ context: HookbirdRequestContext) async throws -> Endpoint {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        let endpoint = try await access.endpoint(try context.parameter("endpoint_id"), in: application)
        try Self.requireStreamEndpoint(endpoint)
        return endpoint
    }

    static func requireStreamEndpoint(_ endpoint: Endpoint) throws {
        guard StreamEndpoint.endpoint(inURL: endpoint.url) == endpoint.id else {
            throw APIError.conflict(
                "The endpoint \(endpoint.uid ?? endpoint.id.rawValue) is not a stream endpoint (its URL is \(endpoint.url)).",
                code: "not_a_stream_endpoint"
            )
        }
    }

    /// Creates a stream endpoint, or updates the one with the given `uid` (its filters are replaced, and it is
    /// enabled again): 201 or 200 with ``ListenOut``.
    @Sendable func register(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        let body = try await JSONBody.decode(ListenIn.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.validate() }
        try await access.checkEventTypes(body.eventTypes, org: application.orgID)
        let eventTypes = body.eventTypes.map { Array(Set($0)).sorted() }
        let channels = body.channels.map { Array(Set($0)).sorted() }
        let now = Timestamp.now
        if let uid = body.uid, var endpoint = try await store.endpoint(app: application.id, idOrUID: uid) {
            try Self.requireStreamEndpoint(endpoint)
            endpoint.eventTypes = eventTypes
            endpoint.channels = channels
            if let description = body.description { endpoint.description = description }
            endpoint.disabled = false
            endpoint.updatedAt = now
            try await endpoints.update(endpoint)
            await endpoints.emit("endpoint.updated", endpoint, application: application, context: context)
            return JSONResponse.make(status: .ok, ListenOut(endpoint))
        }
        let id = EndpointID.generate(at: now)
        let endpoint = Endpoint(
            id: id,
            appID: application.id,
            orgID: application.orgID,
            uid: body.uid,
            url: StreamEndpoint.url(for: id),
            description: body.description ?? "hookbird listen",
            disabled: false,
            eventTypes: eventTypes,
            channels: channels,
            throttleRate: nil,
            metadata: [:],
            secret: .generate(),
            createdAt: now,
            updatedAt: now
        )
        try await endpoints.insert(endpoint)
        await endpoints.emit("endpoint.created", endpoint, application: application, context: context)
        return JSONResponse.make(status: .created, ListenOut(endpoint))
    }

    /// The stream: `text/event-stream` until the listener goes, another listener takes the endpoint over, or the
    /// server shuts down.
    @Sendable func stream(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let endpoint = try await resolve(context)
        let session = hub.connect(endpoint: endpoint.id)
        let registry = self.registry
        let lifetime = registrationLifetime
        let expedited: Int
        do {
            // Registered first, so that no other node claims what is made due now.
            try await registry?.registerListener(endpoint.id, until: Timestamp.now.adding(lifetime))
            expedited = try await store.expediteDeliveries(endpoint: endpoint.id, now: .now)
        } catch {
            session.close()
            try? await registry?.unregisterListener(endpoint.id)
            throw error
        }
        let logger = context.logger
        logger.info(
            "listener connected",
            metadata: ["hookbird.endpoint_id": "\(endpoint.id)", "expedited": "\(expedited)"]
        )
        let ready = Self.frame(event: "ready", ListenerReadyOut(endpointId: endpoint.id.rawValue, expedited: expedited))
        let heartbeat = self.heartbeat
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    try await writer.write(ready)
                    try await withGracefulShutdownHandler {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask {
                                while true {
                                    try await Task.sleep(for: heartbeat)
                                    session.heartbeat()
                                    try? await registry?.renewListener(
                                        endpoint.id,
                                        until: Timestamp.now.adding(lifetime)
                                    )
                                }
                            }
                            for await event in session.events {
                                try await writer.write(Self.frame(event))
                            }
                            group.cancelAll()
                        }
                    } onGracefulShutdown: {
                        session.close()
                    }
                    try await writer.finish(nil)
                } catch {
                    await disconnected(session, endpoint: endpoint.id, logger: logger)
                    throw error
                }
                await disconnected(session, endpoint: endpoint.id, logger: logger)
            }
        )
    }

    /// Ends a listener's connection, and its registration unless another listener of this process has taken the
    /// endpoint over (that one keeps it).
    func disconnected(_ session: ListenerConnection, endpoint: EndpointID, logger: Logger) async {
        session.close()
        if !hub.isConnected(endpoint) { try? await registry?.unregisterListener(endpoint) }
        logger.info("listener disconnected", metadata: ["hookbird.endpoint_id": "\(endpoint)"])
    }

    /// A listener's report on one webhook (``ListenResultIn``); 404 when nothing waits under that token any more.
    @Sendable func result(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let endpoint = try await resolve(context)
        let body = try await JSONBody.decode(ListenResultIn.self, from: request)
        let outcome: ListenerAnswer
        if let error = body.error {
            outcome = .failure("listener: \(error)")
        } else if let status = body.status {
            guard (100...599).contains(status) else {
                throw ValidationFailure(loc: ["body", "status"], msg: "status must be an HTTP status code (100 to 599)")
            }
            let text = Array((body.body ?? "").utf8.prefix(hub.maxResponseBytes))
            outcome = .response(status: status, retryAfter: body.retryAfter, body: text)
        } else {
            throw ValidationFailure(loc: ["body", "status"], msg: "either status or error is required")
        }
        guard hub.complete(token: body.token, endpoint: endpoint.id, answer: outcome) else {
            throw APIError.notFound("No delivery waits for that token: it timed out, or the listener reconnected since.")
        }
        return JSONResponse.noContent()
    }

    // MARK: - Server-sent events

    /// One event of the stream.
    static func frame(_ event: ListenerStreamEvent) -> ByteBuffer {
        switch event {
        case .heartbeat:
            return ByteBuffer(string: ": heartbeat\n\n")
        case .replaced:
            return ByteBuffer(string: "event: replaced\ndata: {}\n\n")
        case .webhook(let token, let webhook):
            return frame(
                event: "webhook",
                ListenerWebhookOut(
                    token: token,
                    msgId: webhook.messageID,
                    eventType: webhook.eventType,
                    headers: webhook.headers.map { [$0.0, $0.1] },
                    body: String(decoding: webhook.body, as: UTF8.self)
                )
            )
        }
    }

    /// `event: <name>` and the value as one line of JSON (the encoder escapes every line break).
    static func frame(event: String, _ value: some Encodable) -> ByteBuffer {
        let json = (try? JSONResponse.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ByteBuffer(string: "event: \(event)\ndata: \(json)\n\n")
    }
}
