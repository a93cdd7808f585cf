//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import HookbirdTesting
import Testing

@Suite("Dashboard sessions")
struct DashboardSessionStoreTests {
    func session(_ digest: String, expiresAt: Timestamp, appID: String? = nil) -> StoredDashboardSession {
        StoredDashboardSession(
            idDigest: digest,
            csrfToken: "csrf-\(digest)",
            orgID: "org_default",
            appID: appID,
            expiresAt: expiresAt
        )
    }

    @Test(arguments: TestBackend.available)
    func aSessionIsReadBackUntilItExpires(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let t0 = Timestamp.now
            let stored = session("d1", expiresAt: t0.adding(seconds: 60), appID: "app_1")
            try await store.insertDashboardSession(stored, now: t0)
            #expect(try await store.dashboardSession(idDigest: "d1", now: t0) == stored)
            #expect(try await store.dashboardSession(idDigest: "d1", now: t0.adding(seconds: 59)) == stored)
            #expect(try await store.dashboardSession(idDigest: "d1", now: t0.adding(seconds: 60)) == nil)
            #expect(try await store.dashboardSession(idDigest: "d2", now: t0) == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func theNoticeIsSetAndCleared(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let t0 = Timestamp.now
            try await store.insertDashboardSession(session("d1", expiresAt: t0.adding(seconds: 60)), now: t0)
            try await store.setDashboardFlash(idDigest: "d1", "Rotation failed", isError: true)
            let read = try await store.dashboardSession(idDigest: "d1", now: t0)
            #expect(read?.flash == "Rotation failed")
            #expect(read?.flashIsError == true)
            try await store.setDashboardFlash(idDigest: "d1", nil, isError: false)
            let cleared = try await store.dashboardSession(idDigest: "d1", now: t0)
            #expect(cleared?.flash == nil)
            #expect(cleared?.flashIsError == false)
        }
    }

    @Test(arguments: TestBackend.available)
    func signOutDeletesOnlyThatSession(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let t0 = Timestamp.now
            try await store.insertDashboardSession(session("d1", expiresAt: t0.adding(seconds: 60)), now: t0)
            try await store.insertDashboardSession(session("d2", expiresAt: t0.adding(seconds: 60)), now: t0)
            try await store.deleteDashboardSession(idDigest: "d1")
            #expect(try await store.dashboardSession(idDigest: "d1", now: t0) == nil)
            #expect(try await store.dashboardSession(idDigest: "d2", now: t0) != nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func startingASessionForgetsExpiredOnes(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let t0 = Timestamp.now
            try await store.insertDashboardSession(session("old", expiresAt: t0.adding(seconds: 10)), now: t0)
            try await store.insertDashboardSession(session("live", expiresAt: t0.adding(seconds: 100)), now: t0)
            try await store.insertDashboardSession(
                session("new", expiresAt: t0.adding(seconds: 200)),
                now: t0.adding(seconds: 50)
            )
            // Read as of t0, the expired row would still count as live if it had been kept.
            #expect(try await store.dashboardSession(idDigest: "old", now: t0) == nil)
            #expect(try await store.dashboardSession(idDigest: "live", now: t0) != nil)
            #expect(try await store.dashboardSession(idDigest: "new", now: t0) != nil)
        }
    }
}
