//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
public import Hummingbird

/// Requires `Authorization: Bearer <token>` and puts the caller into the context.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = HookbirdRequestContext
    let authenticator: Authenticator

    public init(authenticator: Authenticator) { self.authenticator = authenticator }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized() }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized() }
        var context = context
        context.principal = try await authenticator.principal(bearer: String(parts[1]).trimmingCharacters(in: .whitespaces))
        return try await next(request, context)
    }
}
