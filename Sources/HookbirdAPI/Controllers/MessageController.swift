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
import NIOFoundationCompat
import HookbirdStorage
import Hummingbird

/// `/api/v1/app/{app_id}/msg`: create (persisted with its deliveries before the 202), get, list.
struct MessageController {
    let store: any HookbirdStore
    var access: Access { Access(store: store) }

    /// - Parameters:
    ///   - routes: Where the reads go.
    ///   - recordingKeys: Where the create goes: behind an ``IdempotencyMiddleware`` that leaves the key to it.
    func addRoutes(to routes: Routes, recordingKeys: Routes) {
        recordingKeys.on("app/:app_id/msg", .post, use: create)
        routes.on("app/:app_id/msg", .get, use: list)
        routes.on("app/:app_id/msg/:msg_id", .get, use: get)
    }

    @Sendable func create(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let appParameter = try context.parameter("app_id")
        let now = Timestamp.now
        var request = request
        let body: MessageIn
        let payloadBytes: [UInt8]
        let application: Application
        do {
            // Collected once, after authentication, by the body limit; this only takes it.
            (body, payloadBytes) = try MessageIn.read(from: try await request.collectBody(upTo: .max))
            try FieldError.check { () throws(FieldError) in try body.validate() }
            application = try await resolveApplication(appParameter, body: body, principal: principal)
        } catch {
            // A repeat is answered with the first answer whatever its body (the first had the same URI).
            let withContent = (try? Query(request).bool("with_content")) ?? true
            if context.idempotencyKey != nil,
                let found = try? await store.applicationForNewMessage(org: principal.orgID, idOrUID: appParameter),
                let replay = try? await replay(in: found.id, context, withContent, now)
            {
                return replay
            }
            throw error
        }
        let withContent = try Query(request).bool("with_content") ?? true
        let message = Message(
            id: .generate(at: now),
            appID: application.id,
            orgID: application.orgID,
            eventType: body.eventType,
            eventID: body.eventId,
            channels: body.channels,
            payload: body.rawPayload.map { Array($0.utf8) } ?? payloadBytes,
            retentionDays: body.payloadRetentionPeriod,
            createdAt: now,
            idempotencyKey: context.idempotencyKey
        )
        do {
            try await store.insertMessage(message)
        } catch let error as StorageError where error.isNotFound {
            // Deleted (on another node) since it was looked up.
            throw APIError.notFound("Application not found")
        } catch let error as StorageError where error.isDuplicate {
            // A repeat of a request whose message was committed (just now by a request racing this one, or before
            // its answer was lost): the unique key on the message refused this one. Answered as a replay.
            if let replay = try await replay(in: application.id, context, withContent, now) {
                return replay
            }
            throw APIError.conflict("A message with this eventId already exists for this application")
        }
        return MessageOut.response(
            status: .accepted,
            message,
            withContent: withContent,
            now: now,
            payloadIsObject: body.rawPayload == nil
        )
    }

    /// The answer to a repeat: the message stored with the request's idempotency key, if there is one.
    func replay(
        in application: ApplicationID,
        _ context: HookbirdRequestContext,
        _ withContent: Bool,
        _ now: Timestamp
    ) async throws -> Response? {
        guard let key = context.idempotencyKey,
            let existing = try await store.message(app: application, idempotencyKey: key)
        else { return nil }
        var response = MessageOut.response(status: .accepted, existing, withContent: withContent, now: now)
        response.headers[IdempotencyMiddleware.replayedHeader] = "true"
        return response
    }

    /// The application of a new message; created from `application` in the body when the path names none.
    func resolveApplication(_ idOrUID: String, body: MessageIn, principal: Principal) async throws -> Application {
        if let application = try await store.applicationForNewMessage(org: principal.orgID, idOrUID: idOrUID) {
            return application
        }
        guard let spec = body.application else { throw APIError.notFound("Application not found") }
        guard let uid = spec.uid else {
            throw ValidationFailure(
                loc: ["body", "application", "uid"],
                msg: "application.uid must be set to create the application",
                type: "application_uid_missing"
            )
        }
        guard uid == idOrUID else {
            throw ValidationFailure(
                loc: ["body", "application", "uid"],
                msg: "application.uid must match the application in the path",
                type: "application_uid_mismatch"
            )
        }
        let application = spec.makeApplication(org: principal.orgID, now: .now)
        do {
            try await store.insertApplication(application)
            return application
        } catch let error as StorageError where error.isDuplicate {
            // Created meanwhile by a concurrent request.
            guard let existing = try await store.application(org: principal.orgID, idOrUID: uid) else { throw error }
            return existing
        }
    }

    @Sendable func list(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        let query = Query(request)
        let withContent = try query.bool("with_content") ?? true
        let filter = MessageFilter(
            eventTypes: try query.identifiers("event_types"),
            channel: try query.identifier("channel", maxLength: 128)
        )
        let page = try PageRequest(request, iteratorPrefix: MessageID.prefix)
        let window = try TimeWindow(query: query, page: page, prefix: MessageID.self)
        let now = Timestamp.now
        let result = try await page.page(
            displayOrder: .descending,
            after: window.after,
            before: window.before,
            scanUp: window.scanUp,
            key: { $0.id.rawValue }
        ) {
            try await store.listMessages(app: application.id, filter: filter, range: $0)
        }
        return JSONResponse.make(status: .ok, result.map { MessageOut($0, withContent: withContent, now: now) })
    }

    @Sendable func get(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        let message = try await access.message(try context.parameter("msg_id"), in: application)
        let withContent = try Query(request).bool("with_content") ?? true
        return MessageOut.response(status: .ok, message, withContent: withContent, now: .now)
    }
}

/// Svix's time window for message and attempt lists: newest first, at most 90 days wide, bounded by `before`,
/// `after`, or the iterator, and never more than an hour into the future.
struct TimeWindow {
    var after: String?
    var before: String?
    var scanUp: Bool

    static let span: Int64 = 90 * 86_400

    init<ID: PrefixedID>(query: Query, page: PageRequest, prefix: ID.Type) throws {
        let beforeTime = try query.timestamp("before")
        let afterTime = try query.timestamp("after")
        let now = Timestamp.now
        if let iterator = page.iterator, let time = ID(rawValue: iterator)?.timestamp {
            // The iterator bounds one side; the window reaches 90 days past it.
            if page.backwards {
                before = ID.boundary(at: time.adding(seconds: Self.span), upper: true).rawValue
            } else {
                after = ID.boundary(at: time.adding(seconds: -Self.span), upper: false).rawValue
            }
            scanUp = false
        } else if let afterTime {
            after = ID.boundary(at: afterTime, upper: true).rawValue
            let end = min(afterTime.adding(seconds: Self.span), beforeTime ?? now.adding(seconds: 3600))
            before = ID.boundary(at: end, upper: false).rawValue
            scanUp = beforeTime == nil
        } else {
            let end = beforeTime ?? now.adding(seconds: 3600)
            before = ID.boundary(at: end, upper: beforeTime == nil).rawValue
            after = ID.boundary(at: end.adding(seconds: -Self.span), upper: false).rawValue
            scanUp = false
        }
    }
}
