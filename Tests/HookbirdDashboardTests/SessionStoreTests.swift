//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdHTTP
import HookbirdOperations
import HookbirdCore
import HookbirdSQLite
import HookbirdSQL
import HookbirdStorage
import HookbirdTesting
import Testing

@testable import HookbirdDashboard

@Suite struct SessionStoreTests {
    let principal = Principal(orgID: .default)

    /// Runs `body` with session stores on one new SQLite file (two, as two nodes or a restart would have), then
    /// removes the file.
    func withSessions(
        lifetime: TimeInterval = 3600,
        _ body: (SessionStore, SessionStore) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory("hookbird-sessions") { directory in
            let store = try SQLiteStore.open(path: directory.path("test.sqlite")).started()
            try await store.migrate()
            do {
                try await body(
                    SessionStore(store: store, lifetime: lifetime),
                    SessionStore(store: store, lifetime: lifetime)
                )
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    @Test func tokensAreRandomAndURLSafe() {
        let tokens = Set((0..<100).map { _ in SessionStore.randomToken() })
        #expect(tokens.count == 100)
        for token in tokens {
            #expect(token.count == 43)  // 32 bytes, base64url without padding
            #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    @Test func sessionHasItsOwnCSRFToken() async throws {
        try await withSessions { sessions, _ in
            let session = try await sessions.create(for: principal)
            #expect(session.csrfToken != session.id)
            #expect(try await sessions.session(session.id) == session)
            #expect(SessionStore.tokensMatch(session.csrfToken, session.csrfToken))
            #expect(!SessionStore.tokensMatch(nil, session.csrfToken))
            #expect(!SessionStore.tokensMatch("", session.csrfToken))
            #expect(!SessionStore.tokensMatch(SessionStore.randomToken(), session.csrfToken))
        }
    }

    @Test func anotherNodeOnTheDatabaseSeesTheSession() async throws {
        try await withSessions { nodeA, nodeB in
            let appScoped = Principal(orgID: .default, appID: ApplicationID.generate())
            let session = try await nodeA.create(for: appScoped)
            let seen = try await nodeB.session(session.id)
            #expect(seen == session)
            #expect(seen?.principal == appScoped)
            try await nodeB.setFlash(Flash("Secret rotated"), for: session.id)
            #expect(try await nodeA.session(session.id)?.flash == Flash("Secret rotated"))
        }
    }

    @Test func theSessionIdIsNotStored() async throws {
        try await withSessions { sessions, _ in
            let session = try await sessions.create(for: principal)
            // Looked up by its digest: the id itself never reaches the database.
            #expect(try await sessions.store.dashboardSession(idDigest: session.id, now: .now) == nil)
            #expect(
                try await sessions.store.dashboardSession(idDigest: SessionStore.digest(session.id), now: .now) != nil
            )
        }
    }

    @Test func expiredSessionIsGone() async throws {
        try await withSessions(lifetime: 60) { sessions, _ in
            let start = Timestamp.now
            let session = try await sessions.create(for: principal, now: start)
            #expect(try await sessions.session(session.id, now: start.adding(seconds: 59)) != nil)
            #expect(try await sessions.session(session.id, now: start.adding(seconds: 61)) == nil)
        }
    }

    @Test func signOutRemovesSessionAndFlash() async throws {
        try await withSessions { sessions, _ in
            let session = try await sessions.create(for: principal)
            try await sessions.setFlash(Flash("done"), for: session.id)
            try await sessions.remove(session.id)
            #expect(try await sessions.session(session.id) == nil)
        }
    }

    @Test func flashIsShownOnce() async throws {
        try await withSessions { sessions, _ in
            let session = try await sessions.create(for: principal)
            try await sessions.setFlash(Flash("Resend queued", isError: false), for: session.id)
            let withNotice = try #require(try await sessions.session(session.id))
            #expect(withNotice.flash == Flash("Resend queued"))
            try await sessions.clearFlash(of: withNotice)
            #expect(try await sessions.session(session.id)?.flash == nil)
        }
    }
}
