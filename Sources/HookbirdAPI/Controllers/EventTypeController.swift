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

/// `/api/v1/event-type`: create (un-archiving an archived name), list, get, PUT upsert, PATCH, DELETE (archive or
/// `expunge`).
struct EventTypeController {
    let store: any HookbirdStore

    func addRoutes(to routes: Routes) {
        routes.on("event-type", .post, use: create)
        routes.on("event-type", .get, use: list)
        routes.on("event-type/:name", .get, use: get)
        routes.on("event-type/:name", .put, use: upsert)
        routes.on("event-type/:name", .patch, use: patch)
        routes.on("event-type/:name", .delete, use: delete)
    }

    static let exists = APIError.conflict("An event_type with this name already exists", code: "event_type_exists")

    @Sendable func create(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let body = try await JSONBody.decode(EventTypeIn.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.validate(requireName: true) }
        let name = body.name ?? ""
        let now = Timestamp.now
        if var existing = try await store.eventType(org: principal.orgID, name: name) {
            guard existing.archived else { throw Self.exists }
            body.apply(to: &existing, now: now)
            try await store.updateEventType(existing)
            return JSONResponse.make(status: .created, EventTypeOut(existing))
        }
        let eventType = body.makeEventType(org: principal.orgID, name: name, now: now)
        do {
            try await store.insertEventType(eventType)
        } catch let error as StorageError where error.isDuplicate {
            throw Self.exists
        }
        return JSONResponse.make(status: .created, EventTypeOut(eventType))
    }

    @Sendable func list(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = Query(request)
        let includeArchived = try query.bool("include_archived") ?? false
        let withContent = try query.bool("with_content") ?? false
        let page = try PageRequest(request, iteratorPrefix: nil)
        let result = try await page.page(displayOrder: .ascending, key: { $0.name }) {
            try await store.listEventTypes(org: principal.orgID, includeArchived: includeArchived, range: $0)
        }
        return JSONResponse.make(status: .ok, result.map { EventTypeOut($0, withContent: withContent) })
    }

    @Sendable func get(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let eventType = try await store.eventType(org: principal.orgID, name: try context.parameter("name"))
        else { throw APIError.notFound() }
        return JSONResponse.make(status: .ok, EventTypeOut(eventType))
    }

    @Sendable func upsert(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let name = try context.parameter("name")
        let body = try await JSONBody.decode(EventTypeIn.self, from: request)
        try FieldError.check { () throws(FieldError) in
            try Validation.identifier(name, field: ["path", "event_type_name"])
            try body.validate(requireName: false)
        }
        let now = Timestamp.now
        if var existing = try await store.eventType(org: principal.orgID, name: name) {
            body.apply(to: &existing, now: now)
            try await store.updateEventType(existing)
            return JSONResponse.make(status: .ok, EventTypeOut(existing))
        }
        let eventType = body.makeEventType(org: principal.orgID, name: name, now: now)
        do {
            try await store.insertEventType(eventType)
        } catch let error as StorageError where error.isDuplicate {
            throw Self.exists
        }
        return JSONResponse.make(status: .created, EventTypeOut(eventType))
    }

    @Sendable func patch(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        guard var eventType = try await store.eventType(org: principal.orgID, name: try context.parameter("name"))
        else { throw APIError.notFound() }
        let body = try await JSONBody.decode(EventTypePatch.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.apply(to: &eventType) }
        eventType.updatedAt = .now
        try await store.updateEventType(eventType)
        return JSONResponse.make(status: .ok, EventTypeOut(eventType))
    }

    @Sendable func delete(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let name = try context.parameter("name")
        guard var eventType = try await store.eventType(org: principal.orgID, name: name) else {
            throw APIError.notFound()
        }
        if try Query(request).bool("expunge") ?? false {
            try await store.expungeEventType(org: principal.orgID, name: name)
        } else {
            eventType.archived = true
            eventType.updatedAt = .now
            try await store.updateEventType(eventType)
        }
        return JSONResponse.noContent()
    }
}
