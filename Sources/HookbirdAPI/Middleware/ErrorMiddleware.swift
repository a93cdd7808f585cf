//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
import HookbirdStorage
public import Hummingbird
import Logging
import Synchronization

/// Turns every failure into JSON: `{"code","detail"}` (or the 422 list), including unknown routes (404), wrong
/// methods (405), oversized bodies (413), storage outages (503) and internal errors (500).
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    init(routes: RouteTable) { self.routes = routes }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as ValidationFailure {
            return try error.response(from: request, context: context)
        } catch let error as StorageError {
            if error.isNotFound { return try APIError.notFound().response(from: request, context: context) }
            if error.isDuplicate { return try APIError.conflict().response(from: request, context: context) }
            context.logger.error("storage unavailable", metadata: ["error": "\(error)"])
            return try APIError.unavailable("The database is unavailable; nothing was changed. Try again.")
                .response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound:
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    var answer = APIError(
                        status: .methodNotAllowed,
                        code: "method_not_allowed",
                        detail: "Method \(request.method.rawValue) is not allowed on this path."
                    )
                    answer.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                    return try answer.response(from: request, context: context)
                }
                return try APIError.notFound().response(from: request, context: context)
            case .contentTooLarge:
                return try APIError.payloadTooLarge().response(from: request, context: context)
            default:
                let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
                return try APIError(status: error.status, code: code, detail: "\(error.status.reasonPhrase).")
                    .response(from: request, context: context)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("internal error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try APIError.internalError().response(from: request, context: context)
        }
    }
}

/// The routes the API serves, kept to tell an unknown path (404) from a wrong method (405).
final class RouteTable: Sendable {
    let entries = Mutex<[(segments: [Substring], method: HTTPRequest.Method)]>([])

    init() {}

    func methods(for path: String) -> Set<HTTPRequest.Method> {
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

    static func segments(_ path: String) -> [Substring] { path.split(separator: "/") }
}
