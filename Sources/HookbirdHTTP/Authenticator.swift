//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
public import HookbirdCore
public import HookbirdOperations
import HookbirdStorage
import JWTKit
import Synchronization

/// Turns a bearer token into a ``Principal``.
///
/// Two kinds of token are accepted: the static admin token (full rights over the default organisation), compared
/// in constant time, and HS256 JWTs signed with the JWT secret, exactly as svix-server issues them: `sub` is an
/// `org_…` id for an organisation token, or an application id with an `org` claim for an app-scoped token.
public final class Authenticator: Sendable {
    private let adminTokenDigest: SHA256.Digest?
    private let keys: JWTKeyCollection?
    private let jwtSecretDigest: SHA256.Digest?
    /// Verified tokens, so the hot path does not decode and check the same JWT again and again.
    private let cache = Mutex<[String: (principal: Principal, expires: Date?)]>([:])

    /// - Parameters:
    ///   - adminToken: The static admin token, if any.
    ///   - jwtSecret: The HS256 secret, if any.
    public init(adminToken: String?, jwtSecret: String?) async {
        adminTokenDigest = adminToken.map { SHA256.hash(data: Data($0.utf8)) }
        jwtSecretDigest = jwtSecret.map { SHA256.hash(data: Data($0.utf8)) }
        if let jwtSecret {
            let keys = JWTKeyCollection()
            await keys.add(hmac: HMACKey(from: jwtSecret), digestAlgorithm: .sha256)
            self.keys = keys
        } else {
            keys = nil
        }
    }

    /// The principal a token stands for.
    /// - Throws: ``APIError`` 401 for a missing or invalid token, 400 `bad_token` for a token whose subject is
    ///   not an organisation.
    public func principal(bearer token: String) async throws -> Principal {
        if let cached = cache.withLock({ $0[token] }), (cached.expires ?? .distantFuture) > Date() {
            return cached.principal
        }
        let digest = SHA256.hash(data: Data(token.utf8))
        if let adminTokenDigest, digest == adminTokenDigest {
            return Principal(orgID: .default)
        }
        if let jwtSecretDigest, digest == jwtSecretDigest {
            throw APIError.unauthorized("Invalid token: the JWT secret was sent instead of a token made with it.")
        }
        guard let keys else { throw APIError.unauthorized() }
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw APIError.unauthorized()
        }
        let principal: Principal
        if claims.sub.value == OperationalWebhooks.managementOrg.rawValue || claims.org == OperationalWebhooks.managementOrg.rawValue {
            throw APIError.forbidden()
        }
        if let org = claims.org {
            guard let orgID = OrganizationID(rawValue: org), let appID = ApplicationID(rawValue: claims.sub.value)
            else { throw APIError.badRequest("bad_token", "Invalid token: bad organisation or application id.") }
            principal = Principal(orgID: orgID, appID: appID)
        } else {
            guard let orgID = OrganizationID(rawValue: claims.sub.value) else {
                throw APIError.badRequest("bad_token", "Invalid token: `sub` must be an organisation id (org_…).")
            }
            principal = Principal(orgID: orgID)
        }
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[token] = (principal, claims.exp?.value)
        }
        return principal
    }

    /// Makes a token the way `svix-server jwt generate` does, valid for ten years.
    /// - Parameters:
    ///   - secret: The JWT secret the server is started with.
    ///   - org: The organisation.
    ///   - app: For an app-scoped token, the application.
    public static func makeToken(secret: String, org: OrganizationID, app: ApplicationID? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let now = Date()
        let claims = TokenClaims(
            sub: SubjectClaim(value: app?.rawValue ?? org.rawValue),
            iat: IssuedAtClaim(value: now),
            nbf: NotBeforeClaim(value: now.addingTimeInterval(-5)),
            exp: ExpirationClaim(value: now.addingTimeInterval(10 * 365 * 86_400)),
            iss: IssuerClaim(value: "hookbird"),
            org: app == nil ? nil : org.rawValue
        )
        return try await keys.sign(claims)
    }
}

/// The claims of a svix-server style token.
struct TokenClaims: JWTPayload {
    var sub: SubjectClaim
    var iat: IssuedAtClaim?
    var nbf: NotBeforeClaim?
    var exp: ExpirationClaim?
    var iss: IssuerClaim?
    var org: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp?.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}
