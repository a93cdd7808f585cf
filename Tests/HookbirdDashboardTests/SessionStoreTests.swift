//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdAPI
import HookbirdCore
import Testing

@testable import HookbirdDashboard

@Suite struct SessionStoreTests {
    let principal = Principal(orgID: .default)

    @Test func tokensAreRandomAndURLSafe() {
        let tokens = Set((0..<100).map { _ in SessionStore.randomToken() })
        #expect(tokens.count == 100)
        for token in tokens {
            #expect(token.count == 43)  // 32 bytes, base64url without padding
            #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    @Test func sessionHasItsOwnCSRFToken() async {
        let store = SessionStore()
        let session = await store.create(for: principal)
        #expect(session.csrfToken != session.id)
        #expect(await store.session(session.id) == session)
        #expect(SessionStore.tokensMatch(session.csrfToken, session.csrfToken))
        #expect(!SessionStore.tokensMatch(nil, session.csrfToken))
        #expect(!SessionStore.tokensMatch("", session.csrfToken))
        #expect(!SessionStore.tokensMatch(SessionStore.randomToken(), session.csrfToken))
    }

    @Test func expiredSessionIsGone() async {
        let store = SessionStore(lifetime: 60)
        let start = Date()
        let session = await store.create(for: principal, now: start)
        #expect(await store.session(session.id, now: start.addingTimeInterval(59)) != nil)
        #expect(await store.session(session.id, now: start.addingTimeInterval(61)) == nil)
        #expect(await store.session(session.id, now: start) == nil)  // removed, not just hidden
    }

    @Test func signOutRemovesSessionAndFlash() async {
        let store = SessionStore()
        let session = await store.create(for: principal)
        await store.setFlash(Flash("done"), for: session.id)
        await store.remove(session.id)
        #expect(await store.session(session.id) == nil)
        #expect(await store.takeFlash(for: session.id) == nil)
    }

    @Test func flashIsShownOnce() async {
        let store = SessionStore()
        let session = await store.create(for: principal)
        await store.setFlash(Flash("Resend queued"), for: session.id)
        #expect(await store.takeFlash(for: session.id) == Flash("Resend queued"))
        #expect(await store.takeFlash(for: session.id) == nil)
    }

    @Test func capacityDropsTheOldest() async {
        let store = SessionStore(lifetime: 100, capacity: 3)
        let start = Date()
        var ids: [String] = []
        for i in 0..<4 {
            ids.append(await store.create(for: principal, now: start.addingTimeInterval(Double(i))).id)
        }
        #expect(await store.session(ids[0], now: start) == nil)
        for id in ids.dropFirst() {
            #expect(await store.session(id, now: start) != nil)
        }
    }
}
