//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import AsyncHTTPClient
import Foundation
public import HookbirdCore
import NIOCore
public import NIOHTTP1

/// A small client of the `/api/v1` management API over AsyncHTTPClient: JSON in, JSON out, and every answer that is
/// not 2xx thrown as ``APIClientError``. The operator CLI's commands and `hookbird listen` (see `APIClient+Listen`)
/// are built on it.
///
/// ```swift
/// let api = APIClient(baseURL: "http://127.0.0.1:8071", token: "…")
/// let apps = try await api.call(.GET, APIClient.path("app"), query: [("limit", "10")])
/// ```
public struct APIClient: Sendable {
    /// The answer to a call.
    public struct Response: Sendable {
        /// The HTTP status.
        public var status: Int
        /// The body as text (empty for 204).
        public var text: String
        /// The body parsed as JSON (`nil` when empty or not JSON).
        public var json: JSONValue?
        /// The server's clock at the answer, from its `Date` header.
        public var serverDate: Timestamp?
        /// The answer's headers.
        public var headers: HTTPHeaders = [:]

        /// An answer, as a call returns it (or as a test makes one).
        public init(
            status: Int,
            text: String,
            json: JSONValue? = nil,
            serverDate: Timestamp? = nil,
            headers: HTTPHeaders = [:]
        ) {
            self.status = status
            self.text = text
            self.json = json
            self.serverDate = serverDate
            self.headers = headers
        }

        /// Whether the server replayed an earlier answer to a request with the same `Idempotency-Key`
        /// (`Idempotent-Replayed: true`): what was asked for was done before, not now.
        public var isIdempotentReplay: Bool {
            headers.first(name: "Idempotent-Replayed")?.lowercased() == "true"
        }
    }

    /// The server's base URL, without a trailing slash.
    public let baseURL: String
    /// The bearer token, if any.
    public let token: String?
    /// The `User-Agent` header sent, if any.
    public let userAgent: String?
    /// Deadline of one call.
    var timeout: TimeAmount = .seconds(30)
    let httpClient: HTTPClient
    /// Whether ``httpClient`` is this client's own, to be shut down by ``shutdown()``.
    let ownsConnections: Bool

    /// Largest answer read.
    static let maxResponseBytes = 64 << 20

    /// Characters left as they are in a path segment or a query value (RFC 3986 unreserved).
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    /// A client over AsyncHTTPClient's shared connection pool.
    /// - Parameters:
    ///   - baseURL: The server's base URL, without a trailing slash (`http://127.0.0.1:8071`).
    ///   - token: The bearer token: an admin token or a JWT; `nil` sends none.
    ///   - userAgent: The `User-Agent` header, e.g. `hookbird-cli/0.1.0`; `nil` sends none.
    public init(baseURL: String, token: String?, userAgent: String? = nil) {
        self.init(baseURL: baseURL, token: token, userAgent: userAgent, httpClient: .shared, ownsConnections: false)
    }

    init(baseURL: String, token: String?, userAgent: String?, httpClient: HTTPClient, ownsConnections: Bool) {
        self.baseURL = baseURL
        self.token = token
        self.userAgent = userAgent
        self.httpClient = httpClient
        self.ownsConnections = ownsConnections
    }

    /// A client with a connection pool of its own that follows no redirects, does not decompress, gives up
    /// connecting after `connectTimeout` and reports a refused connection at once instead of retrying it: what a
    /// long-running `hookbird listen` needs, which also forwards webhooks to a local URL through it
    /// (``forward(_:to:timeout:)``). Call ``shutdown()`` when done.
    /// - Parameters:
    ///   - baseURL: The server's base URL, without a trailing slash.
    ///   - token: The bearer token, if any.
    ///   - userAgent: The `User-Agent` header, if any.
    ///   - connectTimeout: How long establishing a connection may take.
    public static func withOwnConnections(
        baseURL: String,
        token: String?,
        userAgent: String? = nil,
        connectTimeout: Duration = .seconds(5)
    ) -> APIClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // A local URL that refuses connections is reported at once, not retried until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let (seconds, attoseconds) = connectTimeout.components
        configuration.timeout.connect = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return APIClient(
            baseURL: baseURL,
            token: token,
            userAgent: userAgent,
            httpClient: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration),
            ownsConnections: true
        )
    }

    /// Closes the connections of a client made by ``withOwnConnections(baseURL:token:userAgent:connectTimeout:)``;
    /// does nothing for one on the shared pool.
    public func shutdown() async throws {
        guard ownsConnections else { return }
        try await httpClient.shutdown()
    }

    /// An API path under `/api/v1` from segments, each percent-encoded: `path("app", id, "endpoint")`.
    public static func path(_ segments: String...) -> String {
        segments.map { $0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? $0 }.joined(separator: "/")
    }

    /// An authenticated request to `/api/v1/{path}`.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - path: The path under `/api/v1`, already encoded (see ``path(_:)``).
    ///   - query: Query parameters; `nil` values are left out.
    ///   - body: A JSON body, if any.
    ///   - headers: More headers, e.g. `Idempotency-Key`.
    func request(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String?)] = [],
        body: JSONValue? = nil,
        headers: [(String, String)] = []
    ) -> HTTPClientRequest {
        var url = "\(baseURL)/api/v1/\(path)"
        let items = query.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? $0)" }
        }
        if !items.isEmpty { url += "?" + items.joined(separator: "&") }
        var request = request(method, url: url, body: body.map { $0.canonicalBytes() })
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// An authenticated request to a URL of the server.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - url: The whole URL.
    ///   - accept: The `Accept` header.
    ///   - body: A JSON body, if any.
    func request(
        _ method: HTTPMethod,
        url: String,
        accept: String = "application/json",
        body: [UInt8]? = nil
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        if let userAgent { request.headers.add(name: "User-Agent", value: userAgent) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    /// Calls `/api/v1/{path}` and reads the whole answer.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - path: The path under `/api/v1`, already encoded (see ``path(_:)``).
    ///   - query: Query parameters; `nil` values are left out.
    ///   - body: A JSON body, if any.
    ///   - headers: More headers, e.g. `("Idempotency-Key", "…")`.
    /// - Returns: The answer, when its status is 2xx.
    /// - Throws: ``APIClientError`` for any other status, or when the server cannot be reached.
    public func call(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String?)] = [],
        body: JSONValue? = nil,
        headers: [(String, String)] = []
    ) async throws -> Response {
        try await perform(request(method, path, query: query, body: body, headers: headers), timeout: timeout)
    }

    /// Sends a request and reads the whole answer.
    /// - Returns: The answer, when its status is 2xx.
    /// - Throws: ``APIClientError`` for any other status, or when the server cannot be reached.
    func perform(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> Response {
        let status: Int
        let text: String
        let headers: HTTPHeaders
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            status = Int(response.status.code)
            headers = response.headers
            text = String(buffer: try await response.body.collect(upTo: Self.maxResponseBytes))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw APIClientError(status: nil, code: "timeout", detail: "\(baseURL) did not answer within \(timeout)")
        } catch is NIOTooManyBytesError {
            throw APIClientError(status: nil, code: "bad_response", detail: "the answer is larger than 64 MiB")
        } catch {
            throw unreachable(error)
        }
        guard (200..<300).contains(status) else { throw APIClientError(status: status, body: text) }
        return Response(
            status: status,
            text: text,
            json: text.isEmpty ? nil : JSONValue.parse(text),
            serverDate: headers.first(name: "Date").flatMap(HTTPDate.parse),
            headers: headers
        )
    }

    /// Calls and returns the JSON body, which must be there.
    public func json(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String?)] = [],
        body: JSONValue? = nil
    ) async throws -> JSONValue {
        let response = try await call(method, path, query: query, body: body)
        guard let json = response.json else {
            throw APIClientError(
                status: response.status,
                code: "bad_response",
                detail: "expected JSON, got: \(response.text.prefix(200))"
            )
        }
        return json
    }

    /// The error for a server that could not be reached.
    func unreachable(_ error: any Error) -> APIClientError {
        APIClientError(status: nil, code: "unreachable", detail: "cannot reach \(baseURL): \(Self.describe(error))")
    }

    /// A short reason for a failed connection: connection refused, host not found, … rather than a type dump. The
    /// errors come wrapped in several NIO and AsyncHTTPClient types, so their descriptions are what is looked at.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("connect timeout") { return "connection timed out" }
        if text.localizedCaseInsensitiveContains("refused") { return "connection refused" }
        if text.contains("NXDOMAIN") || text.contains("resolution") || text.contains("unknown host") {
            return "host not found"
        }
        return text
    }
}
