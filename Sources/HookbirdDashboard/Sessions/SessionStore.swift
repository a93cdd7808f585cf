//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
public import Foundation
import HookbirdHTTP
public import HookbirdOperations
public import HookbirdCore
public import HookbirdStorage

/// A signed-in dashboard user: who they act as, and the CSRF token every form of theirs must carry.
public struct DashboardSession: Sendable, Hashable {
    /// The session id: the cookie's value.
    public let id: String
    /// Sent in a hidden field of every state-changing form and checked on every POST.
    public let csrfToken: String
    /// Who the token given at sign-in stands for; an app-scoped token sees only its application.
    public let principal: Principal
    public let expiresAt: Timestamp
    /// The notice waiting for the session's next page, as read with the session.
    public var flash: Flash?
}

/// A one-time notice shown on the next page a session renders (the result of an action, after its redirect).
public struct Flash: Sendable, Hashable {
    public var text: String
    public var isError: Bool

    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}

/// The dashboard's sessions, kept in the database (``DashboardSessionStore``).
///
/// Ids and CSRF tokens are 32 random bytes from the system's CSPRNG (swift-crypto `SymmetricKey`), base64url. The
/// database holds a session's SHA-256, not its id. Since every node on the database sees the same sessions, a
/// session survives a restart and works on any node behind a balancer (no sticky sessions needed). Sessions expire
/// after `lifetime`; expired ones are deleted when the next session starts.
public struct SessionStore: Sendable {
    let store: any DashboardSessionStore
    /// How long a session lasts after sign-in.
    public let lifetime: TimeInterval

    public init(store: any DashboardSessionStore, lifetime: TimeInterval = 12 * 3600) {
        self.store = store
        self.lifetime = lifetime
    }

    /// 32 bytes from the CSPRNG, base64url without padding (cookie- and form-safe).
    public static func randomToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { base64url(Data($0)) }
    }

    /// What the database keeps instead of a session's id: its SHA-256, base64url.
    static func digest(_ id: String) -> String {
        base64url(Data(SHA256.hash(data: Data(id.utf8))))
    }

    private static func base64url(_ bytes: Data) -> String {
        bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Compares a submitted token with the expected one in constant time (swift-crypto's digest comparison).
    public static func tokensMatch(_ submitted: String?, _ expected: String) -> Bool {
        guard let submitted else { return false }
        return SHA256.hash(data: Data(submitted.utf8)) == SHA256.hash(data: Data(expected.utf8))
    }

    /// Starts a session for a principal.
    public func create(for principal: Principal, now: Timestamp = .now) async throws -> DashboardSession {
        let session = DashboardSession(
            id: Self.randomToken(),
            csrfToken: Self.randomToken(),
            principal: principal,
            expiresAt: now.adding(.seconds(lifetime))
        )
        try await store.insertDashboardSession(
            StoredDashboardSession(
                idDigest: Self.digest(session.id),
                csrfToken: session.csrfToken,
                orgID: principal.orgID.rawValue,
                appID: principal.appID?.rawValue,
                expiresAt: session.expiresAt
            ),
            now: now
        )
        return session
    }

    /// The live session with this id, with its waiting notice; `nil` when there is none or it has expired.
    public func session(_ id: String, now: Timestamp = .now) async throws -> DashboardSession? {
        guard let stored = try await store.dashboardSession(idDigest: Self.digest(id), now: now),
            let orgID = OrganizationID(rawValue: stored.orgID)
        else { return nil }
        var appID: ApplicationID?
        if let app = stored.appID {
            guard let parsed = ApplicationID(rawValue: app) else { return nil }
            appID = parsed
        }
        return DashboardSession(
            id: id,
            csrfToken: stored.csrfToken,
            principal: Principal(orgID: orgID, appID: appID),
            expiresAt: stored.expiresAt,
            flash: stored.flash.map { Flash($0, isError: stored.flashIsError) }
        )
    }

    /// Ends a session (sign-out).
    public func remove(_ id: String) async throws {
        try await store.deleteDashboardSession(idDigest: Self.digest(id))
    }

    /// Sets the notice the session's next page shows.
    public func setFlash(_ flash: Flash, for id: String) async throws {
        try await store.setDashboardFlash(idDigest: Self.digest(id), flash.text, isError: flash.isError)
    }

    /// Clears the session's notice once a page has shown it.
    public func clearFlash(of session: DashboardSession) async throws {
        try await store.setDashboardFlash(idDigest: Self.digest(session.id), nil, isError: false)
    }
}
