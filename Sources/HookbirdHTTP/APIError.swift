//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
public import HookbirdCore
public import Hummingbird

/// An error answered as JSON `{"code", "detail"}` with its HTTP status, as svix-server does.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let detail: String
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, code: String, detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(status: status, ErrorBody(code: code, detail: detail))
        response.headers.append(contentsOf: headers)
        return response
    }

    public static func unauthorized(_ detail: String = "Invalid token") -> APIError {
        APIError(status: .unauthorized, code: "authentication_failed", detail: detail)
    }

    public static func forbidden() -> APIError {
        APIError(status: .forbidden, code: "insufficient access", detail: "Insufficient access for the given operation.")
    }

    public static func notFound(_ detail: String = "Entity not found") -> APIError {
        APIError(status: .notFound, code: "not_found", detail: detail)
    }

    public static func conflict(_ detail: String = "A conflict has occurred", code: String = "conflict") -> APIError {
        APIError(status: .conflict, code: code, detail: detail)
    }

    public static func badRequest(_ code: String, _ detail: String) -> APIError {
        APIError(status: .badRequest, code: code, detail: detail)
    }

    public static func payloadTooLarge() -> APIError {
        APIError(status: .contentTooLarge, code: "payload_too_large", detail: "Request payload is too large.")
    }

    public static func internalError() -> APIError {
        APIError(status: .internalServerError, code: "server_error", detail: "Internal Server Error")
    }

    public static func unavailable(_ detail: String) -> APIError {
        APIError(status: .serviceUnavailable, code: "service_unavailable", detail: detail)
    }
}

/// A 422 answer: `{"detail": [{"loc", "msg", "type"}]}`, the shape the Svix SDKs parse as `HTTPValidationError`.
public struct ValidationFailure: HTTPResponseError, Sendable {
    public let errors: [FieldError]
    public var status: HTTPResponse.Status { .unprocessableContent }

    public init(_ errors: [FieldError]) { self.errors = errors }
    public init(_ error: FieldError) { self.errors = [error] }

    /// A failure for one field.
    public init(loc: [String], msg: String, type: String = "value_error") {
        self.errors = [FieldError(loc: loc, msg: msg, type: type)]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(status: status, ValidationBody(detail: errors))
    }
}

struct ErrorBody: Encodable {
    let code: String
    let detail: String
}

struct ValidationBody: Encodable {
    let detail: [FieldError]
}

extension FieldError {
    /// Rethrows a field error as a 422.
    package static func check(_ body: () throws(FieldError) -> Void) throws {
        do {
            try body()
        } catch {
            throw ValidationFailure(error)
        }
    }
}
