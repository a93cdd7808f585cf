//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
public import Hummingbird

/// Refuses bodies over the limit with 413 before reading them whole: at once when `Content-Length` says so, and
/// otherwise as soon as the bytes read pass the limit.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBody: Int

    public init(maxBody: Int) { self.maxBody = maxBody }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
            throw APIError.payloadTooLarge()
        }
        var request = request
        switch request.method {
        case .post, .put, .patch:
            _ = try await request.collectBody(upTo: maxBody)
        default:
            break
        }
        return try await next(request, context)
    }
}
