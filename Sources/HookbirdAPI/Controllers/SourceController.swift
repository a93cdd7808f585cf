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

/// `/api/v1/source`: inbound sources (Hookbird's extension of the API): CRUD, secrets, stored requests, replay
/// and counts.
struct SourceController {
    let store: any HookbirdStore
    let publicURL: String
    var access: Access { Access(store: store) }

    func addRoutes(to routes: Routes) {
        routes.on("source", .post, use: create)
        routes.on("source", .get, use: list)
        routes.on("source/:source_id", .get, use: get)
        routes.on("source/:source_id", .patch, use: patch)
        routes.on("source/:source_id", .delete, use: delete)
        routes.on("source/:source_id/secret", .get, use: secret)
        routes.on("source/:source_id/stats", .get, use: stats)
        routes.on("source/:source_id/request", .get, use: requests)
        routes.on("source/:source_id/request/:request_id", .get, use: request)
        routes.on("source/:source_id/request/:request_id/replay", .post, use: replay)
    }

    static let uidTaken = APIError.conflict("A source with that uid already exists")

    func resolve(_ context: HookbirdRequestContext) async throws -> Source {
        try await access.source(try context.parameter("source_id"), for: context.requirePrincipal())
    }

    /// The application a source forwards to; 422 when it does not exist.
    func application(_ idOrUID: String, principal: Principal) async throws -> Application {
        guard let application = try await store.application(org: principal.orgID, idOrUID: idOrUID) else {
            throw ValidationFailure(loc: ["body", "appId"], msg: "Application '\(idOrUID)' not found")
        }
        return application
    }

    @Sendable func create(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let body = try await JSONBody.decode(SourceIn.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.validate() }
        let application = try await application(body.appId, principal: principal)
        let now = Timestamp.now
        let source = Source(
            id: .generate(at: now),
            orgID: principal.orgID,
            appID: application.id,
            uid: body.uid,
            name: body.name,
            settings: InboundSourceSettings(
                provider: body.provider,
                secrets: body.secrets,
                toleranceSeconds: body.toleranceSeconds,
                options: body.options
            ),
            allowedIPs: body.allowedIps,
            maxBody: body.maxBody ?? 1 << 20,
            createdAt: now,
            updatedAt: now
        )
        do {
            try await store.insertSource(source)
        } catch let error as StorageError where error.isDuplicate {
            throw Self.uidTaken
        }
        return JSONResponse.make(status: .created, SourceOut(source, publicURL: publicURL))
    }

    @Sendable func list(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.requireOrganization()
        let page = try PageRequest(request, iteratorPrefix: SourceID.prefix)
        let result = try await page.page(displayOrder: page.order ?? .ascending, key: { $0.id.rawValue }) {
            try await store.listSources(org: principal.orgID, range: $0)
        }
        return JSONResponse.make(status: .ok, result.map { SourceOut($0, publicURL: publicURL) })
    }

    @Sendable func get(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        JSONResponse.make(status: .ok, SourceOut(try await resolve(context), publicURL: publicURL))
    }

    @Sendable func patch(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        var source = try await resolve(context)
        let body = try await JSONBody.decode(SourcePatch.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.apply(to: &source) }
        if let appId = body.appId {
            source.appID = try await application(appId, principal: context.requirePrincipal()).id
        }
        source.updatedAt = .now
        do {
            try await store.updateSource(source)
        } catch let error as StorageError where error.isDuplicate {
            throw Self.uidTaken
        }
        return JSONResponse.make(status: .ok, SourceOut(source, publicURL: publicURL))
    }

    @Sendable func delete(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let source = try await resolve(context)
        try await store.deleteSource(org: source.orgID, id: source.id)
        return JSONResponse.noContent()
    }

    @Sendable func secret(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let source = try await resolve(context)
        return JSONResponse.make(status: .ok, ["secrets": source.settings.secrets])
    }

    @Sendable func stats(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let source = try await resolve(context)
        let counts = try await store.inboundCounts(source: source.id)
        struct Stats: Encodable {
            var accepted: Int
            var duplicate: Int
            var handshake: Int
            var refused: Int
            var refusedByReason: [String: Int]
        }
        return JSONResponse.make(
            status: .ok,
            Stats(
                accepted: counts.outcomes[.accepted] ?? 0,
                duplicate: counts.outcomes[.duplicate] ?? 0,
                handshake: counts.outcomes[.handshake] ?? 0,
                refused: counts.outcomes[.refused] ?? 0,
                refusedByReason: counts.refusedReasons
            )
        )
    }

    /// Stored requests, newest first; `verdict` (accepted, refused, duplicate, handshake), `since`, `until`.
    @Sendable func requests(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let source = try await resolve(context)
        let query = Query(request)
        var filter = InboundRequestFilter()
        if let verdict = query.string("verdict"), !verdict.isEmpty {
            guard let outcome = InboundOutcome(rawValue: verdict) else {
                throw ValidationFailure(loc: ["query", "verdict"], msg: "verdict must be accepted, refused, duplicate or handshake")
            }
            filter.outcome = outcome
        }
        let page = try PageRequest(request, iteratorPrefix: InboundRequestID.prefix)
        let since = try query.timestamp("since")
        let until = try query.timestamp("until")
        let result = try await page.page(
            displayOrder: .descending,
            after: since.map { InboundRequestID.boundary(at: $0, upper: false).rawValue },
            before: until.map { InboundRequestID.boundary(at: $0, upper: true).rawValue },
            key: { $0.id.rawValue }
        ) { range in
            try await inWindow(range, since: since, until: until) { range in
                try await store.listInboundRequests(source: source.id, filter: filter, range: range)
            }
        }
        return JSONResponse.make(status: .ok, result.map(InboundRequestOut.init))
    }

    /// Rows of `range` received at `since` or later and at `until` or earlier. The id bounds made from those times
    /// are only as fine as an id's clock (4 ms), so the rows of the bounds' 4 ms that fall outside are dropped here,
    /// and more are read in their place: `since` between two requests received within 4 ms of each other returns
    /// the later one only.
    func inWindow(
        _ range: ListRange,
        since: Timestamp?,
        until: Timestamp?,
        fetch: (ListRange) async throws -> [StoredInboundRequest]
    ) async throws -> [StoredInboundRequest] {
        var range = range
        var kept: [StoredInboundRequest] = []
        while true {
            let rows = try await fetch(range)
            kept += rows.filter { row in
                (since.map { row.receivedAt >= $0 } ?? true) && (until.map { row.receivedAt <= $0 } ?? true)
            }
            guard kept.count < range.limit, rows.count == range.limit, let last = rows.last else {
                return Array(kept.prefix(range.limit))
            }
            // Continue past the last row read, in the order read.
            if range.order == .ascending { range.after = last.id.rawValue } else { range.before = last.id.rawValue }
        }
    }

    func storedRequest(_ context: HookbirdRequestContext) async throws -> (Source, StoredInboundRequest) {
        let source = try await resolve(context)
        guard let id = InboundRequestID(rawValue: try context.parameter("request_id")),
            let stored = try await store.inboundRequest(source: source.id, id: id)
        else { throw APIError.notFound() }
        return (source, stored)
    }

    @Sendable func request(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (_, stored) = try await storedRequest(context)
        return JSONResponse.make(status: .ok, InboundRequestOut(stored))
    }

    /// Forwards an accepted request's event again, as a new message in the source's application.
    @Sendable func replay(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (source, stored) = try await storedRequest(context)
        let message = try await Operations(store: store).replay(stored, of: source)
        return JSONResponse.make(status: .accepted, MessageOut(message, withContent: true, now: message.createdAt))
    }
}
