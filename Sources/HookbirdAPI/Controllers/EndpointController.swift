//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdOperations
import HookbirdHTTP
import HookbirdStorage
import Hummingbird
import Logging
import NIOFoundationCompat

/// `/api/v1/app/{app_id}/endpoint`: CRUD, secret get and rotate, custom headers, stats, recover and
/// replay-missing. The same controller serves `/api/v1/operational-webhook/endpoint`, whose endpoints belong to
/// the organisation's management application (see ``OperationalWebhooks``).
struct EndpointController {
    let store: any HookbirdStore
    let httpsOnly: Bool
    /// What this node's delivery engine does for an endpoint (its stats show it).
    var activity: EndpointActivity? = nil
    /// Serving `/api/v1/operational-webhook/endpoint`.
    var operational = false
    var access: Access { Access(store: store) }
    var events: OperationalWebhooks { OperationalWebhooks(store: store) }
    var operations: Operations { Operations(store: store) }

    func addRoutes(to routes: Routes) {
        if operational {
            let base = "operational-webhook/endpoint"
            routes.on(base, .post, use: create)
            routes.on(base, .get, use: list)
            routes.on("\(base)/:endpoint_id", .get, use: get)
            routes.on("\(base)/:endpoint_id", .put, use: upsert)
            routes.on("\(base)/:endpoint_id", .patch, use: patch)
            routes.on("\(base)/:endpoint_id", .delete, use: delete)
            routes.on("\(base)/:endpoint_id/secret", .get, use: secret)
            routes.on("\(base)/:endpoint_id/secret/rotate", .post, use: rotate)
            routes.on("\(base)/:endpoint_id/headers", .get, use: headers)
            routes.on("\(base)/:endpoint_id/headers", .put, use: setHeaders)
            routes.on("\(base)/:endpoint_id/headers", .patch, use: patchHeaders)
            return
        }
        routes.on("app/:app_id/endpoint", .post, use: create)
        routes.on("app/:app_id/endpoint", .get, use: list)
        routes.on("app/:app_id/endpoint/:endpoint_id", .get, use: get)
        routes.on("app/:app_id/endpoint/:endpoint_id", .put, use: upsert)
        routes.on("app/:app_id/endpoint/:endpoint_id", .patch, use: patch)
        routes.on("app/:app_id/endpoint/:endpoint_id", .delete, use: delete)
        routes.on("app/:app_id/endpoint/:endpoint_id/secret", .get, use: secret)
        routes.on("app/:app_id/endpoint/:endpoint_id/secret/rotate", .post, use: rotate)
        routes.on("app/:app_id/endpoint/:endpoint_id/headers", .get, use: headers)
        routes.on("app/:app_id/endpoint/:endpoint_id/headers", .put, use: setHeaders)
        routes.on("app/:app_id/endpoint/:endpoint_id/headers", .patch, use: patchHeaders)
        routes.on("app/:app_id/endpoint/:endpoint_id/stats", .get, use: stats)
        routes.on("app/:app_id/endpoint/:endpoint_id/recover", .post, use: recover)
        routes.on("app/:app_id/endpoint/:endpoint_id/replay-missing", .post, use: replayMissing)
    }

    /// The application whose endpoints a request manages: the one in the path, or for operational webhooks the
    /// organisation's management application.
    func application(_ context: HookbirdRequestContext) async throws -> Application {
        let principal = try context.requirePrincipal()
        if operational {
            try principal.requireOrganization()
            guard let application = try await events.application(for: principal.orgID, create: true) else {
                throw APIError.notFound()
            }
            return application
        }
        return try await access.application(try context.parameter("app_id"), for: principal)
    }

    /// Checks an event-type filter: the organisation's live event types, or the operational event types.
    func checkEventTypes(_ names: [String]?, application: Application, principal: Principal) async throws {
        guard operational else {
            return try await access.checkEventTypes(names, org: application.orgID)
        }
        let unknown = (names ?? []).filter { !OperationalWebhooks.eventTypes.contains($0) }
        if !unknown.isEmpty {
            throw ValidationFailure(
                loc: ["body", "filterTypes"],
                msg: "The following event types don't exist: \(unknown.joined(separator: ", "))"
            )
        }
    }

    /// Sends `endpoint.created/updated/deleted` for ordinary endpoints.
    func emit(_ type: String, _ endpoint: Endpoint, application: Application, context: HookbirdRequestContext) async {
        guard !operational else { return }
        await operations.emit(type, endpoint, application: application, logger: context.logger)
    }

    /// Finds the application and endpoint a request names.
    func resolve(_ context: HookbirdRequestContext) async throws -> (Application, Endpoint) {
        let application = try await application(context)
        let endpoint = try await access.endpoint(try context.parameter("endpoint_id"), in: application)
        return (application, endpoint)
    }

    func newEndpoint(_ body: EndpointIn, application: Application, secret: EndpointSecret) -> Endpoint {
        let now = Timestamp.now
        return Endpoint(
            id: .generate(at: now),
            appID: application.id,
            orgID: application.orgID,
            uid: body.uid,
            url: body.url,
            description: body.description,
            disabled: body.disabled,
            eventTypes: body.eventTypes.map { Array(Set($0)).sorted() },
            channels: body.channels.map { Array(Set($0)).sorted() },
            throttleRate: body.throttleRate,
            metadata: body.metadata,
            secret: secret,
            headers: body.headers ?? [:],
            maxInFlight: body.maxInFlight,
            createdAt: now,
            updatedAt: now
        )
    }

    func insert(_ endpoint: Endpoint) async throws {
        do {
            try await store.insertEndpoint(endpoint)
        } catch let error as StorageError where error.isDuplicate {
            throw Operations.endpointUIDTaken
        }
    }

    func update(_ endpoint: Endpoint) async throws {
        try await operations.update(endpoint)
    }

    @Sendable func create(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await application(context)
        let body = try await JSONBody.decode(EndpointIn.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.validate(https: httpsOnly) }
        let secret: EndpointSecret
        if let given = body.secret {
            guard let parsed = EndpointSecret.parsingInput(given) else {
                throw ValidationFailure(
                    loc: ["body", "secret"],
                    msg: "secret must be the base64 of 24 to 75 bytes, optionally after 'whsec_' "
                        + "(or 'whsk_' and an ed25519 key)"
                )
            }
            secret = parsed
        } else {
            secret = .generate()
        }
        try await checkEventTypes(body.eventTypes, application: application, principal: context.requirePrincipal())
        let endpoint = newEndpoint(body, application: application, secret: secret)
        try await insert(endpoint)
        await emit("endpoint.created", endpoint, application: application, context: context)
        return JSONResponse.make(status: .created, EndpointOut(endpoint))
    }

    @Sendable func list(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await application(context)
        let page = try PageRequest(request, iteratorPrefix: EndpointID.prefix)
        let result = try await page.page(displayOrder: page.order ?? .descending, key: { $0.id.rawValue }) {
            try await store.listEndpoints(app: application.id, range: $0)
        }
        return JSONResponse.make(status: .ok, result.map(EndpointOut.init))
    }

    @Sendable func get(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (_, endpoint) = try await resolve(context)
        return JSONResponse.make(status: .ok, EndpointOut(endpoint))
    }

    @Sendable func upsert(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let application = try await application(context)
        let body = try await JSONBody.decode(EndpointIn.self, from: request)
        let endpointID = try context.parameter("endpoint_id")
        try FieldError.check { () throws(FieldError) in
            // An upsert creates when the path names nothing, so the path must at least be an id or uid.
            try Validation.identifier(endpointID, field: ["path", "endpoint_id"])
            try body.validate(https: httpsOnly)
        }
        try await checkEventTypes(body.eventTypes, application: application, principal: context.requirePrincipal())
        if var endpoint = try await store.endpoint(app: application.id, idOrUID: endpointID) {
            endpoint.uid = body.uid
            endpoint.url = body.url
            endpoint.description = body.description
            endpoint.disabled = body.disabled
            endpoint.eventTypes = body.eventTypes.map { Array(Set($0)).sorted() }
            endpoint.channels = body.channels.map { Array(Set($0)).sorted() }
            endpoint.throttleRate = body.throttleRate
            endpoint.maxInFlight = body.maxInFlight
            endpoint.metadata = body.metadata
            endpoint.updatedAt = .now
            try await update(endpoint)
            await emit("endpoint.updated", endpoint, application: application, context: context)
            return JSONResponse.make(status: .ok, EndpointOut(endpoint))
        }
        let endpoint = newEndpoint(body, application: application, secret: .generate())
        try await insert(endpoint)
        await emit("endpoint.created", endpoint, application: application, context: context)
        return JSONResponse.make(status: .created, EndpointOut(endpoint))
    }

    @Sendable func patch(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (application, resolved) = try await resolve(context)
        var endpoint = resolved
        let body = try await JSONBody.decode(EndpointPatch.self, from: request)
        try FieldError.check { () throws(FieldError) in try body.apply(to: &endpoint, httpsOnly: httpsOnly) }
        if case .value(let names) = body.eventTypes {
            try await checkEventTypes(names, application: application, principal: context.requirePrincipal())
        }
        endpoint.eventTypes = endpoint.eventTypes.map { Array(Set($0)).sorted() }
        endpoint.channels = endpoint.channels.map { Array(Set($0)).sorted() }
        endpoint.updatedAt = .now
        try await update(endpoint)
        await emit("endpoint.updated", endpoint, application: application, context: context)
        return JSONResponse.make(status: .ok, EndpointOut(endpoint))
    }

    @Sendable func delete(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (application, endpoint) = try await resolve(context)
        try await store.deleteEndpoint(app: application.id, id: endpoint.id)
        await emit("endpoint.deleted", endpoint, application: application, context: context)
        return JSONResponse.noContent()
    }

    @Sendable func secret(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (_, endpoint) = try await resolve(context)
        // For an ed25519 endpoint, receivers verify with the public key; that is what is shown.
        return JSONResponse.make(status: .ok, EndpointSecretOut(key: endpoint.secret.publicKey ?? endpoint.secret.encoded))
    }

    /// Rotates the signing secret. The old one keeps signing beside the new one for `gracePeriodSeconds`
    /// (default 24 h); at most ten old secrets may be in their grace period at once.
    @Sendable func rotate(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (application, endpoint) = try await resolve(context)
        // A JSON body is required (`{}` for a generated key), as Svix's spec says and its SDKs send.
        let body = try await JSONBody.decode(EndpointSecretRotateIn.self, from: request)
        let newSecret = try await operations.rotateSecret(
            of: endpoint,
            application: application,
            key: body.key,
            gracePeriodSeconds: body.gracePeriodSeconds,
            logger: context.logger
        )
        // Svix documents 204 here, but its SDKs (2.9.1 included) read the new key from a 200 for application
        // endpoints; for operational endpoints they expect no body, so those get Svix's 204.
        if operational { return JSONResponse.noContent() }
        return JSONResponse.make(status: .ok, EndpointSecretOut(key: newSecret.publicKey ?? newSecret.encoded))
    }

    @Sendable func headers(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (_, endpoint) = try await resolve(context)
        return JSONResponse.make(status: .ok, EndpointHeadersOut(endpoint))
    }

    @Sendable func setHeaders(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        var (_, endpoint) = try await resolve(context)
        let body = try await JSONBody.decode(EndpointHeadersIn.self, from: request)
        try FieldError.check { () throws(FieldError) in
            try EndpointValidation.headers(body.headers, field: ["body", "headers"])
        }
        endpoint.headers = body.headers
        endpoint.updatedAt = .now
        try await update(endpoint)
        return JSONResponse.noContent()
    }

    @Sendable func patchHeaders(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        var (_, endpoint) = try await resolve(context)
        let body = try await JSONBody.decode(EndpointHeadersPatchIn.self, from: request)
        let set = body.headers.compactMapValues { $0 }
        try FieldError.check { () throws(FieldError) in try EndpointValidation.headers(set, field: ["body", "headers"]) }
        // Header names are case-insensitive: a new spelling replaces the old one.
        let removed = Set(body.headers.keys.map { $0.lowercased() } + (body.deleteHeaders ?? []).map { $0.lowercased() })
        endpoint.headers = endpoint.headers.filter { !removed.contains($0.key.lowercased()) }
        endpoint.headers.merge(set) { _, new in new }
        endpoint.updatedAt = .now
        try await update(endpoint)
        return JSONResponse.noContent()
    }

    /// The endpoint's statistics in `[since, until]` (default: the last 28 days): its attempts that succeeded and
    /// failed, and its deliveries still pending, in flight or cancelled; and (Hookbird's extension) what this
    /// node's delivery engine does for it now: requests in flight, its limit, timeouts in a row, deliveries waiting.
    @Sendable func stats(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (_, endpoint) = try await resolve(context)
        let query = Query(request)
        let now = Timestamp.now
        let until = try query.timestamp("until") ?? now
        let since = try query.timestamp("since") ?? until.adding(seconds: -28 * 86_400)
        guard until <= now.adding(seconds: 60) else {
            throw APIError.badRequest("invalid_range", "'until' cannot be in the future")
        }
        guard since <= until, until.microseconds - since.microseconds <= (28 * 86_400 + 300) * 1_000_000 else {
            throw APIError.badRequest("invalid_range", "'since' must be before 'until' and at most 28 days earlier")
        }
        let attempts = try await store.attemptCounts(endpoint: endpoint.id, since: since, until: until)
        let deliveries = try await store.deliveryCounts(endpoint: endpoint.id, since: since, until: until)
        return JSONResponse.make(
            status: .ok,
            EndpointStatsOut(
                success: attempts[.success] ?? 0,
                pending: deliveries[.pending] ?? 0,
                sending: deliveries[.sending] ?? 0,
                fail: attempts[.fail] ?? 0,
                canceled: deliveries[.canceled] ?? 0,
                load: activity?.load(endpoint.id)
            )
        )
    }
}

extension EndpointController {
    /// Re-sends, as manual attempts, the messages of `[since, until)` whose delivery to the endpoint failed (or was
    /// cancelled when it was disabled) and never succeeded.
    @Sendable func recover(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (_, endpoint) = try await resolve(context)
        let body = try await JSONBody.decode(RecoverIn.self, from: request)
        let count = try await operations.recover(endpoint: endpoint, since: body.since, until: body.until, logger: context.logger)
        return JSONResponse.make(status: .accepted, BackgroundTaskOut(task: "endpoint.recover", count: count))
    }

    /// Sends, as manual attempts, the messages of `[since, until)` that were never queued for the endpoint: sent
    /// while it was disabled, or filtered out by its event types or channels.
    @Sendable func replayMissing(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (_, endpoint) = try await resolve(context)
        let body = try await JSONBody.decode(RecoverIn.self, from: request)
        let count = try await operations.replayMissing(
            endpoint: endpoint,
            since: body.since,
            until: body.until,
            logger: context.logger
        )
        return JSONResponse.make(status: .accepted, BackgroundTaskOut(task: "endpoint.replay", count: count))
    }
}

/// `RecoverIn` / `ReplayIn`: `{"since": date-time, "until"?: date-time}`.
struct RecoverIn: Decodable, Sendable {
    var since: Timestamp
    var until: Timestamp?
}

/// `RecoverOut` / `ReplayOut`: the deliveries are queued in one transaction before the answer and are then sent by
/// the delivery engine, so the task is `running`, as svix-server answers (Svix's spec allows no other status here).
struct BackgroundTaskOut: Encodable {
    var id: String
    var status: String
    var task: String
    var updatedAt: Timestamp
    /// Deliveries queued (Hookbird's addition).
    var count: Int

    init(task: String, count: Int) {
        let now = Timestamp.now
        id = TaskID.generate(at: now).rawValue
        status = "running"
        self.task = task
        updatedAt = now
        self.count = count
    }
}
