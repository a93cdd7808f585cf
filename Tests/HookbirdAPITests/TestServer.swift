//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdAPI
import HookbirdHTTP
import HookbirdOperations
import HookbirdPostgres
import HookbirdCore
import HookbirdServer
import HookbirdStorage
import HookbirdTesting
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

extension TestBackend {
    /// Runs `body` with a new, empty database of this backend as the server names it, removed afterwards.
    func withServerDatabase<Value>(
        in parent: URL,
        _ body: (DatabaseLocation) async throws -> Value
    ) async throws -> Value {
        try await withDatabase(in: parent) { database in
            switch database {
            case .sqlite(let path): try await body(.sqlite(path: path))
            case .postgres(let location): try await body(.postgres(location))
            }
        }
    }
}

/// Runs a real Hookbird server on a new database of `backend` (an SQLite file in its own temporary directory, or a
/// PostgreSQL database of its own) and calls `body` with a client talking to it over HTTP. The store is closed once
/// the server has stopped, and the database is then removed.
func withServer<Value: Sendable>(
    _ backend: TestBackend = .sqlite,
    maxBody: Int = 1 << 20,
    in parent: URL = FileManager.default.temporaryDirectory,
    _ body: @Sendable (API, any HookbirdStore) async throws -> Value
) async throws -> Value {
    try await backend.withServerDatabase(in: parent) { database in
        var logger = Logger(label: "hookbird-api-tests")
        logger.logLevel = .error
        let configuration = ServerConfiguration(
            host: "127.0.0.1",
            port: 0,
            database: database,
            adminToken: API.adminToken,
            maxBody: maxBody,
            // No delivery engine: queued deliveries stay pending, and nothing leaves the machine.
            role: .api
        )
        return try await withServer(configuration: configuration, logger: logger, body)
    }
}

/// Runs a real Hookbird server with `configuration` (see ``withServer(_:maxBody:in:_:)``).
private func withServer<Value: Sendable>(
    configuration: ServerConfiguration,
    logger: Logger,
    _ body: @Sendable (API, any HookbirdStore) async throws -> Value
) async throws -> Value {
    let opened = try await HookbirdServer.openStore(configuration, logger: logger)
    // The store runs around the application, as it does in the server's service group, and stops once the server
    // has stopped, whatever happened.
    let result: Result<Value, any Error> = try await opened.store.withRunning { store in
        do {
            try await HookbirdServer.prepareStore(store, logger: logger)
            let app = try await HookbirdServer.buildApplication(
                configuration: configuration,
                store: opened,
                jwtSecret: API.jwtSecret,
                logger: logger
            )
            // A failing test must not throw out of `app.test`, which would cancel the server instead of shutting it
            // down gracefully; the error is rethrown once the server has stopped.
            return try await app.test(.live) { client in
                do {
                    return .success(try await body(API(client: client), store))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}

/// A thin JSON client over the test client.
struct API: Sendable {
    static let adminToken = "test-token"
    /// At least 32 bytes: jwt-kit asserts (in debug builds) that an HS256 key is as long as the digest.
    static let jwtSecret = "test-jwt-secret-0123456789abcdefghij"

    let client: any TestClientProtocol

    /// Sends a request. `token` is sent as `Bearer <token>`; pass `nil` to send no `Authorization` header.
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        json: String? = nil,
        token: String? = API.adminToken,
        headers extra: HTTPFields = [:]
    ) async throws -> APIResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: json.map { ByteBuffer(string: $0) }
        )
        return APIResponse(status: response.status, headers: response.headers, body: response.body)
    }

    func get(_ uri: String, token: String? = API.adminToken) async throws -> APIResponse {
        try await send(.get, uri, token: token)
    }

    func post(
        _ uri: String,
        _ json: String,
        token: String? = API.adminToken,
        headers: HTTPFields = [:]
    ) async throws -> APIResponse {
        try await send(.post, uri, json: json, token: token, headers: headers)
    }

    func put(_ uri: String, _ json: String, token: String? = API.adminToken) async throws -> APIResponse {
        try await send(.put, uri, json: json, token: token)
    }

    func patch(_ uri: String, _ json: String, token: String? = API.adminToken) async throws -> APIResponse {
        try await send(.patch, uri, json: json, token: token)
    }

    func delete(_ uri: String, token: String? = API.adminToken) async throws -> APIResponse {
        try await send(.delete, uri, token: token)
    }

    // MARK: Fixtures

    /// Creates an application and returns its JSON.
    @discardableResult
    func createApp(
        name: String = "Test app",
        uid: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        var body: [String: JSONValue] = ["name": .string(name)]
        if let uid { body["uid"] = .string(uid) }
        let response = try await post("/api/v1/app", JSONValue.object(body).compactJSON())
        try response.expect(.created, sourceLocation: sourceLocation)
        return try response.json()
    }

    /// Creates an event type.
    func createEventType(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let response = try await post("/api/v1/event-type", #"{"name":"\#(name)","description":"\#(name) happened"}"#)
        try response.expect(.created, sourceLocation: sourceLocation)
    }

    /// Creates an endpoint from a JSON body and returns its JSON.
    func createEndpoint(
        app: String,
        _ json: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let response = try await post("/api/v1/app/\(app)/endpoint", json)
        try response.expect(.created, sourceLocation: sourceLocation)
        return try response.json()
    }

    /// Follows `iterator` from the first page to the last and returns every page.
    func walk(
        _ path: String,
        limit: Int,
        extraQuery: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [JSONValue] {
        var pages: [JSONValue] = []
        var iterator: String?
        for _ in 0..<100 {
            var uri = "\(path)?limit=\(limit)\(extraQuery)"
            if let iterator { uri += "&iterator=\(iterator)" }
            let response = try await get(uri)
            try response.expect(.ok, sourceLocation: sourceLocation)
            let page = try response.json()
            pages.append(page)
            if page["done"]?.bool == true { return pages }
            iterator = try #require(page["iterator"]?.string, sourceLocation: sourceLocation)
        }
        Issue.record("pagination did not finish", sourceLocation: sourceLocation)
        return pages
    }
}

/// What came back.
struct APIResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer

    var text: String { String(buffer: body) }

    /// The body as JSON.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        try #require(JSONValue.parse(text), "body is not JSON: \(text)", sourceLocation: sourceLocation)
    }

    /// Checks the status, showing the body when it differs.
    func expect(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(self.status == status, "body: \(text)", sourceLocation: sourceLocation)
        guard self.status == status else { throw UnexpectedStatus(status: self.status, body: text) }
    }

    /// Checks an error answer: the status, a JSON `{"code","detail"}` body and (when given) the code.
    func expectError(
        _ status: HTTPResponse.Status,
        code: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try expect(status, sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        let body = try json(sourceLocation: sourceLocation)
        let actualCode = try #require(body["code"]?.string, "no code in \(text)", sourceLocation: sourceLocation)
        let detail = try #require(body["detail"]?.string, "no detail in \(text)", sourceLocation: sourceLocation)
        #expect(!detail.isEmpty, sourceLocation: sourceLocation)
        if let code { #expect(actualCode == code, sourceLocation: sourceLocation) }
    }

    /// Checks a 422 answer in Svix's shape and returns its entries.
    @discardableResult
    func expectValidation(loc: [String]? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSONValue]
    {
        try expect(.unprocessableContent, sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        let body = try json(sourceLocation: sourceLocation)
        let entries = try #require(
            body["detail"]?.array,
            "detail must be a list: \(text)",
            sourceLocation: sourceLocation
        )
        #expect(!entries.isEmpty, sourceLocation: sourceLocation)
        for entry in entries {
            #expect(entry["loc"]?.array != nil, "\(text)", sourceLocation: sourceLocation)
            #expect(entry["msg"]?.string != nil, "\(text)", sourceLocation: sourceLocation)
            #expect(entry["type"]?.string != nil, "\(text)", sourceLocation: sourceLocation)
        }
        if let loc {
            #expect(
                entries.contains { $0.loc == loc },
                "expected loc \(loc) in \(text)",
                sourceLocation: sourceLocation
            )
        }
        return entries
    }
}

struct UnexpectedStatus: Error, CustomStringConvertible {
    let status: HTTPResponse.Status
    let body: String
    var description: String { "unexpected status \(status.code): \(body)" }
}

extension JSONValue {
    /// `loc` of a 422 entry as strings.
    var loc: [String]? { self["loc"]?.array?.compactMap(\.string) }

    /// The `id` field; empty when missing so that a failed lookup shows up in the next request.
    var id: String { self["id"]?.string ?? "" }

    /// The ids of a list page's `data`.
    var ids: [String] { self["data"]?.array?.map(\.id) ?? [] }
}

/// The deliveries of an endpoint by status, read from the store.
func deliveryCounts(_ store: any HookbirdStore, endpoint: String) async throws -> [MessageStatus: Int] {
    let id = try #require(EndpointID(rawValue: endpoint))
    let now = Timestamp.now
    return try await store.deliveryCounts(
        endpoint: id,
        since: now.adding(seconds: -3600),
        until: now.adding(seconds: 3600)
    )
}

/// The number of pending deliveries of an endpoint; checks that there are none in another status.
func pendingDeliveries(
    _ store: any HookbirdStore,
    endpoint: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> Int {
    let counts = try await deliveryCounts(store, endpoint: endpoint)
    let pending = counts[.pending] ?? 0
    #expect(counts.values.reduce(0, +) == pending, "\(counts)", sourceLocation: sourceLocation)
    return pending
}
