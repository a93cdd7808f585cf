//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdOperations
import HookbirdHTTP
import HookbirdStorage
import Hummingbird

/// Message attempts: list by endpoint, list by message, get one.
struct AttemptController {
    let store: any HookbirdStore
    var access: Access { Access(store: store) }

    func addRoutes(to routes: Routes) {
        routes.on("app/:app_id/attempt/endpoint/:endpoint_id", .get, use: listByEndpoint)
        routes.on("app/:app_id/attempt/msg/:msg_id", .get, use: listByMessage)
        routes.on("app/:app_id/msg/:msg_id/attempt/:attempt_id", .get, use: get)
        routes.on("app/:app_id/msg/:msg_id/endpoint/:endpoint_id/resend", .post, use: resend)
    }

    /// Queues one manual attempt of the message to the endpoint (never retried). A disabled endpoint is skipped
    /// silently, as in Svix; the answer is 202 `{}` either way.
    @Sendable func resend(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        let message = try await access.message(try context.parameter("msg_id"), in: application)
        let endpoint = try await access.endpoint(try context.parameter("endpoint_id"), in: application)
        try await Operations(store: store).resend(message, to: endpoint)
        return JSONResponse.make(status: .accepted, [String: String]())
    }

    func filter(_ query: Query) throws -> AttemptFilter {
        var filter = AttemptFilter(
            eventTypes: try query.identifiers("event_types"),
            channel: try query.identifier("channel", maxLength: 128)
        )
        if let status = try query.int("status") {
            guard let value = MessageStatus(rawValue: status) else {
                throw ValidationFailure(loc: ["query", "status"], msg: "status must be 0, 1, 2, 3 or 4")
            }
            filter.status = value
        }
        if let statusCodeClass = try query.int("status_code_class") {
            guard [0, 100, 200, 300, 400, 500].contains(statusCodeClass) else {
                throw ValidationFailure(loc: ["query", "status_code_class"], msg: "status_code_class must be 0, 100, 200, 300, 400 or 500")
            }
            filter.statusCodeClass = statusCodeClass
        }
        return filter
    }

    func list(_ request: Request, application: Application, filter: AttemptFilter) async throws -> Response {
        let query = Query(request)
        let withContent = try query.bool("with_content") ?? true
        let page = try PageRequest(request, iteratorPrefix: AttemptID.prefix)
        let window = try TimeWindow(query: query, page: page, prefix: AttemptID.self)
        let result = try await page.page(
            displayOrder: .descending,
            after: window.after,
            before: window.before,
            scanUp: window.scanUp,
            key: { $0.id.rawValue }
        ) {
            try await store.listAttempts(app: application.id, filter: filter, range: $0)
        }
        return JSONResponse.make(status: .ok, result.map { MessageAttemptOut($0, withContent: withContent) })
    }

    @Sendable func listByEndpoint(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        let endpoint = try await access.endpoint(try context.parameter("endpoint_id"), in: application)
        var filter = try filter(Query(request))
        filter.endpointID = endpoint.id
        return try await list(request, application: application, filter: filter)
    }

    @Sendable func listByMessage(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        let message = try await access.message(try context.parameter("msg_id"), in: application)
        let query = Query(request)
        var filter = try filter(query)
        filter.messageID = message.id
        if let endpoint = try query.identifier("endpoint_id") {
            filter.endpointID = try await access.endpoint(endpoint, in: application).id
        }
        return try await list(request, application: application, filter: filter)
    }

    @Sendable func get(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        let message = try await access.message(try context.parameter("msg_id"), in: application)
        guard let id = AttemptID(rawValue: try context.parameter("attempt_id")),
            let attempt = try await store.attempt(app: application.id, message: message.id, id: id)
        else { throw APIError.notFound() }
        return JSONResponse.make(status: .ok, MessageAttemptOut(attempt, withContent: true))
    }
}
