//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
public import Foundation
public import HookbirdAPI

/// A signed-in dashboard user: who they act as, and the CSRF token every form of theirs must carry.
public struct DashboardSession: Sendable, Hashable {
    /// The session id: the cookie's value.
    public let id: String
    /// Sent in a hidden field of every state-changing form and checked on every POST.
    public let csrfToken: String
    /// Who the token given at sign-in stands for; an app-scoped token sees only its application.
    public let principal: Principal
    public let expiresAt: Date
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

/// The dashboard's sessions, kept in memory.
///
/// Ids and CSRF tokens are 32 random bytes from the system's CSPRNG (swift-crypto `SymmetricKey`), base64url.
/// Sessions expire after `lifetime` and are forgotten when the process stops, so everyone signs in again after a
/// restart. This is right for a single node; several Hookbird nodes behind a balancer would need sticky sessions
/// or a shared session table.
public actor SessionStore {
    private var sessions: [String: DashboardSession] = [:]
    private var flashes: [String: Flash] = [:]
    /// How long a session lasts after sign-in.
    public let lifetime: TimeInterval
    /// At most this many sessions are kept; the ones closest to expiry go first.
    public let capacity: Int

    public init(lifetime: TimeInterval = 12 * 3600, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// 32 bytes from the CSPRNG, base64url without padding (cookie- and form-safe).
    public static func randomToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
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
    public func create(for principal: Principal, now: Date = Date()) -> DashboardSession {
        if sessions.count >= capacity {
            sessions = sessions.filter { $0.value.expiresAt > now }
            flashes = flashes.filter { sessions[$0.key] != nil }
            while sessions.count >= capacity, let oldest = sessions.values.min(by: { $0.expiresAt < $1.expiresAt }) {
                remove(oldest.id)
            }
        }
        let session = DashboardSession(
            id: Self.randomToken(),
            csrfToken: Self.randomToken(),
            principal: principal,
            expiresAt: now.addingTimeInterval(lifetime)
        )
        sessions[session.id] = session
        return session
    }

    /// The live session with this id; an expired one is removed and `nil` returned.
    public func session(_ id: String, now: Date = Date()) -> DashboardSession? {
        guard let session = sessions[id] else { return nil }
        guard session.expiresAt > now else {
            remove(id)
            return nil
        }
        return session
    }

    /// Ends a session (sign-out).
    public func remove(_ id: String) {
        sessions[id] = nil
        flashes[id] = nil
    }

    /// Sets the notice the session's next page shows.
    public func setFlash(_ flash: Flash, for id: String) {
        guard sessions[id] != nil else { return }
        flashes[id] = flash
    }

    /// Takes (and clears) the session's notice.
    public func takeFlash(for id: String) -> Flash? {
        flashes.removeValue(forKey: id)
    }
}
