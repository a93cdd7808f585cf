//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import AsyncHTTPClient
import Foundation
import HookbirdCore
import NIOCore
import NIOHTTP1

/// Where a client command finds the server and how it prints; shared by every command that talks to a running
/// server (the `app`, `endpoint`, `message`, … nouns, and anything else built on ``APIClient``).
///
/// ```swift
/// struct Ping: ClientCommand {
///     @OptionGroup var options: ClientOptions
///     func run(api: APIClient, output: Output) async throws {
///         output.object(try await api.call(.GET, "health"))
///     }
/// }
/// ```
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of the Hookbird server. [env: HOOKBIRD_URL] (default: http://127.0.0.1:8071)")
    var url: String?

    @Option(
        help: "API token: the server's --admin-token, or a JWT from `hookbird token create`. [env: HOOKBIRD_TOKEN]"
    )
    var token: String?

    @Flag(help: "Print the server's JSON instead of tables, for scripts.")
    var json = false

    @Flag(help: "Draw progress bars on stderr even when it is not a terminal.")
    var progress = false

    /// The server's base URL, without a trailing slash.
    var baseURL: String {
        let url = Env.value(url, "URL") ?? "http://127.0.0.1:8071"
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    func validate() throws {
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw ValidationError("--url must start with http:// or https://; got '\(baseURL)'")
        }
    }

    /// A client for the server these options name.
    func makeClient() -> APIClient {
        APIClient(baseURL: baseURL, token: Env.value(token, "TOKEN"))
    }

    /// How output is printed.
    var output: Output { Output(json: json, progress: progress) }
}

/// A failed API call: the HTTP status with the server's `code` and `detail`, or a server that gave no answer
/// (`status` is `nil`).
struct APIClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status, or `nil` when the server could not be reached.
    let status: Int?
    /// The server's `code` (e.g. `authentication_failed`), or one of ours: `unreachable`, `timeout`, `bad_response`.
    let code: String
    /// The server's `detail`, or what went wrong on the way.
    let detail: String

    /// `401 authentication_failed: Invalid token`.
    var description: String {
        if let status { return "\(status) \(code): \(detail)" }
        return "\(code): \(detail)"
    }

    /// Reads an error answer: `{"code","detail"}`, the 422 list `{"detail":[{"loc","msg"}]}`, or anything else.
    init(status: Int, body: String) {
        self.status = status
        let json = JSONValue.parse(body)
        if let code = json?[member: "code"]?.stringValue, let detail = json?[member: "detail"]?.stringValue {
            self.code = code
            self.detail = detail
        } else if case .array(let items)? = json?[member: "detail"] {
            self.code = "validation_error"
            self.detail = items.map { item in
                let location: [String] =
                    if case .array(let parts)? = item[member: "loc"] { parts.compactMap(\.scalarText) } else { [] }
                let message = item[member: "msg"]?.stringValue ?? item.compactJSON()
                return location.isEmpty ? message : "\(location.joined(separator: ".")): \(message)"
            }.joined(separator: "; ")
        } else {
            let reason = HTTPResponseStatus(statusCode: status).reasonPhrase
            self.code = reason.lowercased().replacingOccurrences(of: " ", with: "_")
            let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
            self.detail = text.isEmpty ? reason : String(text.prefix(200))
        }
    }

    /// An error of the client itself, e.g. `unreachable`, or one whose parts are known.
    init(status: Int?, code: String, detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }
}

/// A small client of the `/api/v1` management API over AsyncHTTPClient: JSON in, JSON out, and every answer that is
/// not 2xx thrown as ``APIClientError``.
///
/// ```swift
/// let api = APIClient(baseURL: "http://127.0.0.1:8071", token: "…")
/// let apps = try await api.call(.GET, APIClient.path("app"), query: [("limit", "10")])
/// ```
struct APIClient: Sendable {
    /// The answer to a call.
    struct Response: Sendable {
        /// The HTTP status.
        var status: Int
        /// The body as text (empty for 204).
        var text: String
        /// The body parsed as JSON (`nil` when empty or not JSON).
        var json: JSONValue?
        /// The server's clock at the answer, from its `Date` header.
        var serverDate: Timestamp?
    }

    /// The server's base URL, without a trailing slash.
    let baseURL: String
    /// The bearer token, if any.
    let token: String?
    /// Deadline of one call.
    var timeout: TimeAmount = .seconds(30)
    var httpClient: HTTPClient = .shared

    /// Largest answer read.
    static let maxResponseBytes = 64 << 20

    /// Characters left as they are in a path segment or a query value (RFC 3986 unreserved).
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    /// An API path under `/api/v1` from segments, each percent-encoded: `path("app", id, "endpoint")`.
    static func path(_ segments: String...) -> String {
        segments.map { $0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? $0 }.joined(separator: "/")
    }

    /// An authenticated request to `/api/v1/{path}`, for callers that read the answer themselves (e.g. a stream).
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - path: The path under `/api/v1`, already encoded (see ``path(_:)``).
    ///   - query: Query parameters; `nil` values are left out.
    ///   - body: A JSON body, if any.
    func request(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String?)] = [],
        body: JSONValue? = nil
    ) -> HTTPClientRequest {
        var url = "\(baseURL)/api/v1/\(path)"
        let items = query.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? $0)" }
        }
        if !items.isEmpty { url += "?" + items.joined(separator: "&") }

        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "hookbird-cli/\(Hookbird.configuration.version)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.canonicalBytes()))
        }
        return request
    }

    /// Calls `/api/v1/{path}` and reads the whole answer.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - path: The path under `/api/v1`, already encoded (see ``path(_:)``).
    ///   - query: Query parameters; `nil` values are left out.
    ///   - body: A JSON body, if any.
    /// - Returns: The answer, when its status is 2xx.
    /// - Throws: ``APIClientError`` for any other status, or when the server cannot be reached.
    func call(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String?)] = [],
        body: JSONValue? = nil
    ) async throws -> Response {
        let request = request(method, path, query: query, body: body)
        let status: Int
        let text: String
        let date: String?
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            status = Int(response.status.code)
            date = response.headers.first(name: "Date")
            text = String(buffer: try await response.body.collect(upTo: Self.maxResponseBytes))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw APIClientError(status: nil, code: "timeout", detail: "\(baseURL) did not answer within \(timeout)")
        } catch is NIOTooManyBytesError {
            throw APIClientError(status: nil, code: "bad_response", detail: "the answer is larger than 64 MiB")
        } catch {
            throw APIClientError(
                status: nil,
                code: "unreachable",
                detail: "cannot reach \(baseURL): \(Self.describe(error))"
            )
        }
        guard (200..<300).contains(status) else { throw APIClientError(status: status, body: text) }
        return Response(
            status: status,
            text: text,
            json: text.isEmpty ? nil : JSONValue.parse(text),
            serverDate: date.flatMap(HTTPDate.parse)
        )
    }

    /// Calls and returns the JSON body, which must be there.
    func json(
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
