//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import Hummingbird
import HookbirdCore
public import HookbirdOperations

/// The request context of every Hookbird route: Hummingbird's core context plus who is calling.
public struct HookbirdRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthMiddleware`` on authenticated routes.
    public var principal: Principal?
    /// The request's idempotency key (hashed with the token and URI), set by ``IdempotencyMiddleware``.
    public var idempotencyKey: String?
    /// The peer's address, without the port.
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
        self.principal = nil
        self.idempotencyKey = nil
    }

    /// Bodies are limited by ``BodyLimitMiddleware``, which runs first; this only bounds routes outside it.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }

    /// The caller; routes behind ``AuthMiddleware`` always have one.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthorized() }
        return principal
    }
}
