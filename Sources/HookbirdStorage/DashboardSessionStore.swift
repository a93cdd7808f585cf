//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

/// A dashboard session as the database keeps it. Every node on the database sees it, so a session survives a
/// restart and works on any node behind a balancer.
public struct StoredDashboardSession: Sendable, Hashable {
    /// SHA-256 of the session id, hex. The id itself (the cookie's value) is never stored, so the table does not
    /// hand out live sessions to whoever reads it.
    public var idDigest: String
    /// The token every state-changing form of the session carries.
    public var csrfToken: String
    /// Who the token given at sign-in stood for.
    public var orgID: String
    public var appID: String?
    public var expiresAt: Timestamp
    /// The notice the session's next page shows (the result of an action, after its redirect). It may show a new
    /// secret ("The new secret is …"), so it is stored sealed like secrets (``SecretsCipher``).
    public var flash: String?
    public var flashIsError: Bool

    public init(
        idDigest: String,
        csrfToken: String,
        orgID: String,
        appID: String?,
        expiresAt: Timestamp,
        flash: String? = nil,
        flashIsError: Bool = false
    ) {
        self.idDigest = idDigest
        self.csrfToken = csrfToken
        self.orgID = orgID
        self.appID = appID
        self.expiresAt = expiresAt
        self.flash = flash
        self.flashIsError = flashIsError
    }
}

/// The dashboard's sessions (table `dashboard_sessions`).
public protocol DashboardSessionStore: Sendable {
    /// Stores a new session, and forgets the sessions that expired before `now`.
    func insertDashboardSession(_ session: StoredDashboardSession, now: Timestamp) async throws
    /// The session with this digest, unless it has expired at `now`.
    func dashboardSession(idDigest: String, now: Timestamp) async throws -> StoredDashboardSession?
    /// Ends a session (sign-out).
    func deleteDashboardSession(idDigest: String) async throws
    /// Sets the session's notice, or clears it with `nil`.
    func setDashboardFlash(idDigest: String, _ flash: String?, isError: Bool) async throws
}
