//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
public import HTTPTypes
public import HookbirdCore
import HookbirdOperations
import HookbirdStorage
public import Hummingbird
import Logging
import Synchronization

/// A failed request's answer, before a surface renders it: the status, Svix's `{"code", "detail"}`, the fields of a
/// 422, and headers to add (`Allow` on a 405).
public struct HTTPProblem: Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    /// For a 422: each field refused and why.
    public var fieldErrors: [FieldError]
    public var headers: HTTPFields

    public init(
        status: HTTPResponse.Status,
        code: String,
        detail: String,
        fieldErrors: [FieldError] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.detail = detail
        self.fieldErrors = fieldErrors
        self.headers = headers
    }
}

/// How one surface answers failures: the API and the inbound gateway in JSON (``JSONErrorRenderer``), the dashboard
/// as pages.
public protocol ErrorRenderer: Sendable {
    associatedtype Context: RequestContext
    /// An answer of this surface's own for an error only it knows (the dashboard's redirect to sign in), or `nil` for
    /// the kernel's ``HTTPProblem``.
    func response(for error: any Error, request: Request, context: Context) async -> Response?
    /// The answer to a problem.
    func response(for problem: HTTPProblem, request: Request, context: Context) async throws -> Response
}

extension ErrorRenderer {
    public func response(for error: any Error, request: Request, context: Context) async -> Response? { nil }
}

/// Problems as JSON: `{"code", "detail"}`, or a 422's `{"detail": [{"loc", "msg", "type"}]}`.
public struct JSONErrorRenderer<Context: RequestContext>: ErrorRenderer {
    public init() {}

    public func response(for problem: HTTPProblem, request: Request, context: Context) async throws -> Response {
        var response: Response
        if problem.status == .unprocessableContent, !problem.fieldErrors.isEmpty {
            response = JSONResponse.make(status: problem.status, ValidationBody(detail: problem.fieldErrors))
        } else {
            response = JSONResponse.make(status: problem.status, ErrorBody(code: problem.code, detail: problem.detail))
        }
        response.headers.append(contentsOf: problem.headers)
        return response
    }
}

/// Turns every error a route throws into its surface's answer: the web kernel's own errors (``APIError``,
/// ``ValidationFailure``), the use cases' ``OperationsError`` and the store's `StorageError` get their status here,
/// once for every surface; a surface's ``ErrorRenderer`` writes the answer.
public struct ErrorMiddleware<Renderer: ErrorRenderer>: RouterMiddleware {
    public typealias Context = Renderer.Context
    let renderer: Renderer
    /// The routes, for telling a wrong method (405 with `Allow`) from an unknown path (404).
    let routes: RouteTable?

    public init(renderer: Renderer, routes: RouteTable? = nil) {
        self.renderer = renderer
        self.routes = routes
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if let own = await renderer.response(for: error, request: request, context: context) { return own }
            return try await renderer.response(
                for: problem(for: error, request: request, logger: context.logger),
                request: request,
                context: context
            )
        }
    }

    /// The status and body an error answers with.
    func problem(for error: any Error, request: Request, logger: Logger) -> HTTPProblem {
        switch error {
        case let error as APIError:
            return HTTPProblem(status: error.status, code: error.code, detail: error.detail, headers: error.headers)
        case let error as ValidationFailure:
            return HTTPProblem(
                status: .unprocessableContent,
                code: "validation_error",
                detail: error.errors.map(\.msg).joined(separator: "; "),
                fieldErrors: error.errors
            )
        case let error as OperationsError:
            return Self.problem(for: error)
        case let error as StorageError:
            if error.isNotFound { return Self.problem(APIError.notFound()) }
            if error.isDuplicate { return Self.problem(APIError.conflict()) }
            logger.error("storage unavailable", metadata: ["error": "\(error)"])
            return Self.problem(APIError.unavailable("The database is unavailable; nothing was changed. Try again."))
        case let error as any HTTPResponseError:
            return problem(forHTTP: error, request: request)
        default:
            logger.error("internal error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return Self.problem(APIError.internalError())
        }
    }

    static func problem(for error: OperationsError) -> HTTPProblem {
        if error.isInvalid {
            return HTTPProblem(
                status: .unprocessableContent,
                code: "validation_error",
                detail: error.detail,
                fieldErrors: [FieldError(loc: error.field, msg: error.detail, type: error.reason)]
            )
        }
        let status: HTTPResponse.Status =
            error.isNotFound ? .notFound : error.isForbidden ? .forbidden : error.isConflict ? .conflict : .badRequest
        return HTTPProblem(status: status, code: error.reason, detail: error.detail)
    }

    static func problem(_ error: APIError) -> HTTPProblem {
        HTTPProblem(status: error.status, code: error.code, detail: error.detail, headers: error.headers)
    }

    /// Hummingbird's own errors: no route (404, or 405 when the path has routes for other methods), a body over the
    /// limit (413), others by their status.
    func problem(forHTTP error: any HTTPResponseError, request: Request) -> HTTPProblem {
        switch error.status {
        case .notFound:
            let allowed = routes?.methods(for: request.uri.path) ?? []
            if !allowed.isEmpty, !allowed.contains(request.method) {
                var answer = APIError(
                    status: .methodNotAllowed,
                    code: "method_not_allowed",
                    detail: "Method \(request.method.rawValue) is not allowed on this path."
                )
                answer.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                return Self.problem(answer)
            }
            return Self.problem(APIError.notFound())
        case .contentTooLarge:
            return Self.problem(APIError.payloadTooLarge())
        default:
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            return HTTPProblem(status: error.status, code: code, detail: "\(error.status.reasonPhrase).")
        }
    }
}

/// The routes registered on a router, by path pattern and method.
public final class RouteTable: Sendable {
    let entries = Mutex<[(segments: [Substring], method: HTTPRequest.Method)]>([])

    public init() {}

    /// The methods routed for a concrete path.
    public func methods(for path: String) -> Set<HTTPRequest.Method> {
        let parts = Self.segments(path)
        var methods = Set<HTTPRequest.Method>()
        entries.withLock { entries in
            for entry in entries where entry.segments.count == parts.count {
                if zip(entry.segments, parts).allSatisfy({ $0.hasPrefix(":") || $0 == $1 }) {
                    methods.insert(entry.method)
                }
            }
        }
        return methods
    }

    /// Records a route (`app/:app_id/msg`, `.post`).
    public func add(_ path: String, _ method: HTTPRequest.Method) {
        entries.withLock { $0.append((Self.segments(path), method)) }
    }

    static func segments(_ path: String) -> [Substring] { path.split(separator: "/") }
}
