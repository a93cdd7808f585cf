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

/// `/api/v1/app`: create (with `get_if_exists`), list, get, PUT upsert, PATCH, DELETE.
struct ApplicationController {
    let store: any HookbirdStore
    var access: Access { Access(store: store) }

    func addRoutes(to routes: Routes) {
        routes.on("app", .post, use: create)
        routes.on("app", .get, use: list)
        routes.on("app/:app_id", .get, use: get)
        routes.on("app/:app_id", .put, use: upsert)
        routes.on("app/:app_id", .patch, use: patch)
        routes.on("app/:app_id", .delete, use: delete)
    }

    static let uidTaken = APIError.conflict("An application with that id or uid already exists")

    @Sendable func create(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let body = try await JSONBody.decode(ApplicationIn.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.validate() }
        let getIfExists = try Query(request).bool("get_if_exists") ?? false
        if let uid = body.uid, let existing = try await store.application(org: principal.orgID, idOrUID: uid) {
            guard getIfExists else { throw Self.uidTaken }
            return JSONResponse.make(status: .ok, ApplicationOut(existing))
        }
        let now = Timestamp.now
        let application = body.makeApplication(org: principal.orgID, now: now)
        do {
            try await store.insertApplication(application)
        } catch let error as StorageError where error.isDuplicate {
            if getIfExists, let uid = body.uid,
                let existing = try await store.application(org: principal.orgID, idOrUID: uid)
            {
                return JSONResponse.make(status: .ok, ApplicationOut(existing))
            }
            throw Self.uidTaken
        }
        return JSONResponse.make(status: .created, ApplicationOut(application))
    }

    @Sendable func list(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let page = try PageRequest(request, iteratorPrefix: ApplicationID.prefix)
        if let appID = principal.appID {
            // An app-scoped token sees its own application only.
            let own = try await store.application(org: principal.orgID, idOrUID: appID.rawValue)
            return JSONResponse.make(
                status: .ok,
                ListResponse(data: own.map { [ApplicationOut($0)] } ?? [], iterator: nil, prevIterator: nil, done: true)
            )
        }
        let result = try await page.page(displayOrder: page.order ?? .ascending, key: { $0.id.rawValue }) {
            try await store.listApplications(org: principal.orgID, range: $0)
        }
        return JSONResponse.make(status: .ok, result.map(ApplicationOut.init))
    }

    @Sendable func get(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await access.application(try context.parameter("app_id"), for: context.requirePrincipal())
        return JSONResponse.make(status: .ok, ApplicationOut(application))
    }

    @Sendable func upsert(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let body = try await JSONBody.decode(ApplicationIn.self, from: request)
        let appID = try context.parameter("app_id")
        try FieldError.check { () throws(FieldError) in
            // An upsert creates when the path names nothing, so the path must at least be an id or uid.
            try Validation.identifier(appID, field: ["path", "app_id"])
            try body.validate()
        }
        let now = Timestamp.now
        if var application = try await store.application(org: principal.orgID, idOrUID: appID) {
            body.apply(to: &application, now: now)
            do {
                try await store.updateApplication(application)
            } catch let error as StorageError where error.isDuplicate {
                throw Self.uidTaken
            }
            return JSONResponse.make(status: .ok, ApplicationOut(application))
        }
        let application = body.makeApplication(org: principal.orgID, now: now)
        do {
            try await store.insertApplication(application)
        } catch let error as StorageError where error.isDuplicate {
            throw Self.uidTaken
        }
        return JSONResponse.make(status: .created, ApplicationOut(application))
    }

    @Sendable func patch(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        var application = try await access.application(try context.parameter("app_id"), for: principal)
        let body = try await JSONBody.decode(ApplicationPatch.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.apply(to: &application) }
        application.updatedAt = .now
        do {
            try await store.updateApplication(application)
        } catch let error as StorageError where error.isDuplicate {
            throw Self.uidTaken
        }
        return JSONResponse.make(status: .ok, ApplicationOut(application))
    }

    @Sendable func delete(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let application = try await access.application(try context.parameter("app_id"), for: principal)
        try await store.deleteApplication(org: principal.orgID, id: application.id)
        return JSONResponse.noContent()
    }
}
