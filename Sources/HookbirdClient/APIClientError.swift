//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Foundation
import NIOHTTP1

/// A failed API call: the HTTP status with the server's `code` and `detail`, or a server that gave no answer
/// (`status` is `nil`).
///
/// ```swift
/// do { _ = try await api.call(.GET, "app") } catch let error as APIClientError {
///     print("error: \(error)")   // error: 401 authentication_failed: Invalid token
/// }
/// ```
public struct APIClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status, or `nil` when the server could not be reached.
    public let status: Int?
    /// The server's `code` (e.g. `authentication_failed`), or one of ours: `unreachable`, `timeout`, `bad_response`.
    public let code: String
    /// The server's `detail`, or what went wrong on the way.
    public let detail: String

    /// `401 authentication_failed: Invalid token`.
    public var description: String {
        if let status { return "\(status) \(code): \(detail)" }
        return "\(code): \(detail)"
    }

    /// Whether the server refused for good, so that asking again cannot help: a 4xx answer other than 408 and 429.
    /// An unreachable server, a timeout and a 5xx answer are not.
    public var isPermanent: Bool {
        guard let status else { return false }
        return (400..<500).contains(status) && status != 408 && status != 429
    }

    /// Reads an error answer: `{"code","detail"}`, the 422 list `{"detail":[{"loc","msg"}]}`, or anything else.
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - body: The answer's body as text.
    public init(status: Int, body: String) {
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
    public init(status: Int?, code: String, detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }
}
