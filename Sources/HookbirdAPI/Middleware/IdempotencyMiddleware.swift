//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
import HookbirdCore
public import HookbirdHTTP
public import HookbirdStorage
public import Hummingbird
import NIOCore

/// Svix's `Idempotency-Key`: on a POST that carries one, the first 2xx response is kept for 12 hours and replayed
/// byte for byte to every repeat, with `Idempotent-Replayed: true` added to its headers (as Stripe does) so that a
/// client can tell a repeat from a first answer. The key is scoped by the token and the full URI; non-2xx answers
/// are not kept, so a retry runs again. A repeat that arrives while the first is still running waits for it (up to
/// the lock time). The key is also handed to the route: a message is stored with it, so a repeat after a crash
/// between the message's commit and the cached answer's (or after the 12 hours) finds the message instead of
/// creating a second one, and answers it as a replay too.
///
/// A route whose own write can carry the key records it itself (``recordedByRoute``): creating a message stores the
/// key on the message, in the message's own transaction, under a unique index. There the middleware writes nothing:
/// it only hands the key to the route, which answers a repeat (whatever its body) from the message it finds with the
/// key, and a repeat racing the first is refused by the index and answered the same way. A keyed message then costs
/// the one write transaction an unkeyed one does, instead of three.
public struct IdempotencyMiddleware: RouterMiddleware {
    public typealias Context = HookbirdRequestContext
    static var header: HTTPField.Name { HTTPField.Name("idempotency-key")! }
    /// `Idempotent-Replayed: true` marks an answer given to a repeat of an earlier request.
    static var replayedHeader: HTTPField.Name { HTTPField.Name("idempotent-replayed")! }
    let store: any IdempotencyStore
    let retention: Duration
    let lockTimeout: Duration
    /// Whether the routes behind it store the key with what they write and answer repeats themselves.
    let recordedByRoute: Bool

    public init(
        store: any IdempotencyStore,
        retention: Duration = .seconds(12 * 3600),
        lockTimeout: Duration = .seconds(5),
        recordedByRoute: Bool = false
    ) {
        self.store = store
        self.retention = retention
        self.lockTimeout = lockTimeout
        self.recordedByRoute = recordedByRoute
    }

    /// The key a request's `Idempotency-Key` is kept under: scoped by the token and the full URI.
    static func cacheKey(authorization: String, key: String, uri: String) -> String {
        Digest.sha256Hex(Array("\(authorization):\(key):\(uri)".utf8))
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, let key = request.headers[Self.header], !key.isEmpty,
            let authorization = request.headers[.authorization]
        else {
            return try await next(request, context)
        }
        let cacheKey = Self.cacheKey(authorization: authorization, key: key, uri: request.uri.description)
        if recordedByRoute {
            var context = context
            context.idempotencyKey = cacheKey
            return try await next(request, context)
        }
        let deadline = ContinuousClock.now + lockTimeout
        while true {
            switch try await store.acquireIdempotencyKey(cacheKey, now: .now, lockTimeout: lockTimeout) {
            case .completed(let stored):
                var headers = HTTPFields()
                for (name, value) in stored.headers {
                    if let field = HTTPField.Name(name) { headers[field] = value }
                }
                headers[Self.replayedHeader] = "true"
                return Response(
                    status: HTTPResponse.Status(code: stored.status),
                    headers: headers,
                    body: .init(byteBuffer: ByteBuffer(bytes: stored.body))
                )
            case .inProgress where ContinuousClock.now < deadline:
                try await Task.sleep(for: .milliseconds(200))
                continue
            case .inProgress:
                // The first request is taking too long; run this one as svix-server does.
                var context = context
                context.idempotencyKey = cacheKey
                return try await next(request, context)
            case .acquired:
                break
            }
            break
        }
        var context = context
        context.idempotencyKey = cacheKey
        return try await runAndKeep(request, context: context, key: cacheKey, next: next)
    }

    /// Runs the route holding the key, then keeps its answer when it is a 2xx, or lets the key go.
    func runAndKeep(
        _ request: Request,
        context: Context,
        key cacheKey: String,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            try? await store.releaseIdempotencyKey(cacheKey)
            throw error
        }
        guard (200..<300).contains(response.status.code) else {
            try await store.releaseIdempotencyKey(cacheKey)
            return response
        }
        let box = CollectedBody()
        var response2 = response
        try await response.body.write(CollectingWriter(box: box))
        let body = Array(box.buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in response.headers where field.name != .contentLength {
            headers[field.name.rawName] = field.value
        }
        try await store.completeIdempotencyKey(
            cacheKey,
            response: IdempotentResponse(status: response.status.code, headers: headers, body: body),
            expiresAt: Timestamp.now.adding(retention)
        )
        response2.body = .init(byteBuffer: box.buffer)
        return response2
    }
}

/// Holds the bytes a ``CollectingWriter`` wrote.
final class CollectedBody: @unchecked Sendable {
    var buffer = ByteBuffer()
}

/// A response body writer that keeps what is written.
struct CollectingWriter: ResponseBodyWriter {
    let box: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        box.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
