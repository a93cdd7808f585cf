//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
public import Hummingbird

/// Refuses bodies over the limit with 413 before reading them whole: at once when `Content-Length` says so, and
/// otherwise as soon as the bytes read pass the limit.
///
/// The body is read here, once: the routes behind find it collected. A middleware that only checks the declared
/// length (`collecting: false`) goes before authentication, so that an oversized request is refused at once, and a
/// collecting one after it, so that nothing is read for a caller who is refused.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBody: Int
    let collecting: Bool

    /// - Parameters:
    ///   - maxBody: Most bytes a body may have.
    ///   - collecting: Whether to read the body (POST, PUT and PATCH), or only to check its `Content-Length`.
    public init(maxBody: Int, collecting: Bool = true) {
        self.maxBody = maxBody
        self.collecting = collecting
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
            throw APIError.payloadTooLarge()
        }
        var request = request
        if collecting, [HTTPRequest.Method.post, .put, .patch].contains(request.method) {
            _ = try await request.collectBody(upTo: maxBody)
        }
        return try await next(request, context)
    }
}
