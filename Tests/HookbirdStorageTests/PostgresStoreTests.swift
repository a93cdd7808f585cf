//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
@testable import HookbirdPostgres
import HookbirdSQL
import HookbirdStorage
import SQLKit
import HookbirdTesting
import Testing

/// What only the PostgreSQL backend does: several stores (nodes) on one database.
@Suite("PostgreSQL only")
struct PostgresStoreTests {
    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres))
    func nodesStartingTogetherMigrateOnce() async throws {
        try await TestBackend.withPostgresDatabase { location in
            let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
                for _ in 0..<3 { group.addTask { try await PostgresStore.open(location: location).started() } }
                var stores: [PostgresStore] = []
                for try await store in group { stores.append(store) }
                return stores
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in stores { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            // Migrating again is a no-op.
            try await stores[0].migrate()
            #expect(try await stores[1].setting("x") == nil)
            for store in stores { try await store.close() }
        }
    }

    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres))
    func workOnOneNodeWakesTheOthers() async throws {
        try await TestBackend.withPostgresDatabase { location in
            let writer = try await PostgresStore.open(location: location).started()
            try await writer.migrate()
            let idle = try await PostgresStore.open(location: location).started()
            let app = Make.application()
            try await writer.insertApplication(app)
            try await writer.insertEndpoint(Make.endpoint(app))
            // The listener signals once it listens: wait for that (rather than a fixed time, which a loaded machine
            // can overrun, so that the notification below comes before anyone listens) and drain it.
            await idle.workSignal.wait(timeout: .seconds(10))

            let clock = ContinuousClock()
            var started = clock.now
            async let waited: Void = idle.workSignal.wait(timeout: .seconds(5))
            try await Task.sleep(for: .milliseconds(20))
            started = clock.now
            try await writer.insertMessage(Make.message(app))
            await waited
            let elapsed = clock.now - started
            // Woken by the notification, not by the 5 s timeout (usually within milliseconds; the bound leaves room for
            // a machine busy with the rest of the suite, which now runs the API tests on PostgreSQL too).
            #expect(elapsed < .seconds(3), "woken after \(elapsed)")
            // The other node can claim what was queued.
            #expect(
                try await idle.claimDeliveries(now: .now.adding(seconds: 1), limit: 5, lease: .seconds(30)).count == 1
            )
            try await idle.close()
            try await writer.close()
        }
    }

    /// A listener's stream lives in one node: while it is registered there, the other nodes neither claim its
    /// endpoint's deliveries nor see them as due; the node it is connected to does.
    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres))
    func aListenersDeliveriesGoToTheNodeItIsConnectedTo() async throws {
        try await TestBackend.withPostgresDatabase { location in
            let connected = try await PostgresStore.open(location: location).started()
            try await connected.migrate()
            let other = try await PostgresStore.open(location: location).started()
            let app = Make.application()
            try await connected.insertApplication(app)
            let listened = Make.endpoint(app)
            try await connected.insertEndpoint(listened)
            let t0 = Timestamp.now
            try await connected.registerListener(listened.id, until: t0.adding(seconds: 60))
            try await connected.insertMessage(Make.message(app, at: t0))
            let soon = t0.adding(seconds: 1)

            #expect(try await other.nextDueTime() == nil)
            #expect(try await other.claimDeliveries(now: soon, limit: 5, lease: .seconds(30)).isEmpty)
            #expect(try await connected.nextDueTime() == t0)
            let claimed = try await connected.claimDeliveries(now: soon, limit: 5, lease: .seconds(30))
            #expect(claimed.map(\.endpoint.id) == [listened.id])

            // A renewal by a node that no longer holds the listener does not take it back; a new connection does.
            try await other.registerListener(listened.id, until: t0.adding(seconds: 60))
            try await connected.renewListener(listened.id, until: t0.adding(seconds: 120))
            try await connected.insertMessage(Make.message(app, at: t0))
            #expect(try await connected.claimDeliveries(now: soon, limit: 5, lease: .seconds(30)).isEmpty)
            // Once it is gone (unregistered, or run out), any node claims again.
            try await connected.unregisterListener(listened.id)  // not `connected`'s any more: no effect
            #expect(try await connected.claimDeliveries(now: soon, limit: 5, lease: .seconds(30)).isEmpty)
            try await other.unregisterListener(listened.id)
            #expect(try await connected.claimDeliveries(now: soon, limit: 5, lease: .seconds(30)).count == 1)
            try await other.close()
            try await connected.close()
        }
    }

    /// With its engine's hand-off open, a node writes a fresh message's deliveries leased to itself and hands them
    /// over once committed: no claim (on any node) sees them. A listener connected to another node keeps its
    /// delivery pending for that node; with the hand-off closed (no engine, or no room) everything waits pending.
    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres))
    func freshDeliveriesAreHandedToTheAcceptingNode() async throws {
        try await TestBackend.withPostgresDatabase { location in
            let a = try await PostgresStore.open(location: location).started()
            try await a.migrate()
            let b = try await PostgresStore.open(location: location).started()
            let app = Make.application()
            try await a.insertApplication(app)
            let plain = Make.endpoint(app)
            let listened = Make.endpoint(app)
            try await a.insertEndpoint(plain)
            try await a.insertEndpoint(listened)
            try await b.registerListener(listened.id, until: .now.adding(seconds: 60))
            a.handOff.open(lease: .seconds(60), room: 8)
            let message = Make.message(app)
            #expect(try await a.insertMessage(message) == 2)
            let handed = a.handOff.take(limit: 10)
            #expect(handed.map(\.endpoint.id) == [plain.id])
            #expect(handed.first?.message.id == message.id)
            #expect(handed.first?.endpoint.secret == plain.secret)
            let now = Timestamp.now.adding(seconds: 1)
            #expect(try await a.claimDeliveries(now: now, limit: 10, lease: .seconds(30)).isEmpty)
            #expect(try await b.claimDeliveries(now: now, limit: 10, lease: .seconds(30)).map(\.endpoint.id) == [listened.id])
            // Recording the handed-off attempt finishes it like a claimed one.
            try await a.completeSucceededDeliveries([Make.completion(handed[0], outcome: .succeeded, code: 200, at: now)], now: now)
            #expect(try await a.deliveries(message: message.id).map(\.status).contains(.success))
            a.handOff.close()
            let later = Make.message(app)
            #expect(try await a.insertMessage(later) == 2)
            #expect(try await b.claimDeliveries(now: Timestamp.now.adding(seconds: 1), limit: 10, lease: .seconds(30)).count == 2)
            try await a.close()
            try await b.close()
        }
    }

    /// A node answers "which application does this new message go to" from what it read in the last seconds; a
    /// message to an application another node deleted meanwhile is refused by the insert itself (not stored, no
    /// deliveries), as the API's 404; the node's own changes are seen at once.
    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres))
    func aMessageToAnApplicationDeletedOnAnotherNodeIsRefused() async throws {
        try await TestBackend.withPostgresDatabase { location in
            let a = try await PostgresStore.open(location: location).started()
            try await a.migrate()
            let b = try await PostgresStore.open(location: location).started()
            let app = Make.application(uid: "billing")
            try await a.insertApplication(app)
            try await a.insertEndpoint(Make.endpoint(app))
            #expect(try await a.applicationForNewMessage(org: app.orgID, idOrUID: "billing")?.id == app.id)
            #expect(try await a.insertMessage(Make.message(app)) == 1)
            try await b.deleteApplication(org: app.orgID, id: app.id)
            // Node a still knows the application (read a moment ago); the insert finds it gone.
            #expect(try await a.applicationForNewMessage(org: app.orgID, idOrUID: "billing")?.id == app.id)
            let refused = Make.message(app)
            await #expect(throws: StorageError.notFound("application")) { try await a.insertMessage(refused) }
            #expect(try await b.message(app: app.id, idOrEventID: refused.id.rawValue) == nil)
            // A node's own change is seen at once.
            let other = Make.application(uid: "shipping")
            try await a.insertApplication(other)
            #expect(try await a.applicationForNewMessage(org: other.orgID, idOrUID: "shipping")?.id == other.id)
            try await a.deleteApplication(org: other.orgID, id: other.id)
            #expect(try await a.applicationForNewMessage(org: other.orgID, idOrUID: "shipping") == nil)
            try await a.close()
            try await b.close()
        }
    }

    /// A node that dies (here: stopped without a graceful shutdown) leaves its leases; another node frees them once
    /// the dead node's heartbeat has run out, not when each lease does. A node that stops gracefully frees what it
    /// holds itself.
    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres))
    func aDeadNodesLeasesAreFreedByTheOthers() async throws {
        try await TestBackend.withPostgresDatabase { location in
            let a = try await PostgresStore.open(location: location).started()
            try await a.migrate()
            let b = try await PostgresStore.open(location: location).started()
            try await b.migrate()
            let app = Make.application()
            try await a.insertApplication(app)
            try await a.insertEndpoint(Make.endpoint(app))
            try await a.insertMessage(Make.message(app))
            let now = Timestamp.now.adding(seconds: 1)
            #expect(try await a.claimDeliveries(now: now, limit: 10, lease: .seconds(600)).count == 1)
            try await a.close()
            #expect(try await b.claimDeliveries(now: now, limit: 10, lease: .seconds(600)).isEmpty)
            #expect(try await b.freeLeasesOfDeadNodes() == 0)  // a's heartbeat has not run out yet
            try await b.write("UPDATE nodes SET expires_at = 0 WHERE id = \(bind: a.nodeKey)")
            #expect(try await b.freeLeasesOfDeadNodes() == 1)
            #expect(try await b.read("SELECT id FROM nodes WHERE id = \(bind: a.nodeKey)").isEmpty)
            // Freed deliveries are due at the time they were freed.
            let claimed = try await b.claimDeliveries(now: .now.adding(seconds: 1), limit: 10, lease: .seconds(600))
            #expect(claimed.count == 1)
            // b stops gracefully: what it holds is pending again at once, for the others.
            await b.leave()
            let c = try await PostgresStore.open(location: location).started()
            let again = try await c.claimDeliveries(now: .now.adding(seconds: 1), limit: 10, lease: .seconds(600))
            #expect(again.map(\.id) == claimed.map(\.id))
            try await b.close()
            try await c.close()
        }
    }

    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres))
    func claimersOnSeveralNodesNeverShareADelivery() async throws {
        try await TestBackend.withPostgresDatabase { location in
            var stores: [PostgresStore] = []
            for _ in 0..<3 { stores.append(try await PostgresStore.open(location: location).started()) }
            try await stores[0].migrate()
            let app = Make.application()
            try await stores[0].insertApplication(app)
            for _ in 0..<3 { try await stores[0].insertEndpoint(Make.endpoint(app)) }
            let t0 = Timestamp.now
            for _ in 0..<100 { try await stores[0].insertMessage(Make.message(app, at: t0)) }
            let ids = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for store in stores {
                    for _ in 0..<2 {
                        group.addTask {
                            var mine: [Int64] = []
                            while true {
                                let batch = try await store.claimDeliveries(now: t0, limit: 5, lease: .seconds(60))
                                if batch.isEmpty { return mine }
                                mine += batch.map(\.id)
                            }
                        }
                    }
                }
                var all: [Int64] = []
                for try await claimed in group { all += claimed }
                return all
            }
            #expect(ids.count == 300)
            #expect(Set(ids).count == 300)
            for store in stores { try await store.close() }
        }
    }

    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres))
    func throttleBucketsAreSharedByNodes() async throws {
        try await TestBackend.withPostgresDatabase { location in
            let a = try await PostgresStore.open(location: location).started()
            try await a.migrate()
            let b = try await PostgresStore.open(location: location).started()
            let endpoint = EndpointID.generate(at: .now)
            let t0 = Timestamp(microseconds: 1_700_000_000_000_000)
            // Rate 2 per second: two tokens saved up, taken on either node; the third must wait half a second.
            #expect(try await a.takeThrottleToken(endpoint: endpoint, rate: 2, now: t0) == nil)
            #expect(try await b.takeThrottleToken(endpoint: endpoint, rate: 2, now: t0) == nil)
            #expect(try await a.takeThrottleToken(endpoint: endpoint, rate: 2, now: t0) == .milliseconds(500))
            let later = t0.adding(.milliseconds(250))
            #expect(try await b.takeThrottleToken(endpoint: endpoint, rate: 2, now: later) == .milliseconds(250))
            #expect(try await b.takeThrottleToken(endpoint: endpoint, rate: 2, now: t0.adding(.milliseconds(500))) == nil)
            // A node whose clock is behind does not refill the bucket backwards.
            #expect(try await a.takeThrottleToken(endpoint: endpoint, rate: 2, now: t0) != nil)
            // Another endpoint has a bucket of its own.
            #expect(try await a.takeThrottleToken(endpoint: EndpointID.generate(at: .now), rate: 1, now: t0) == nil)
            try await a.close()
            try await b.close()
        }
    }

    @Test func anUnreachableServerIsUnavailable() async throws {
        let location = try PostgresLocation(url: "postgres://nobody:pw@127.0.0.1:1/none")
        do {
            let store = try await PostgresStore.open(location: location, connectTimeout: .seconds(3)).started()
            try? await store.close()
            Issue.record("opened a store on a closed port")
        } catch let error as StorageError {
            #expect(error.isUnavailable)
            #expect(!error.description.contains(":pw@"))
        }
    }

    @Test(
        arguments: [
            (
                "postgres://u:p%40ss@db.example:6543/hook", "db.example", 6543, "u", "p@ss", "hook",
                PostgresLocation.TLSMode.disable
            ),
            ("postgresql://u@localhost/hook?sslmode=require", "localhost", 5432, "u", nil, "hook", .require),
            ("postgres://u:x@h/d?sslmode=verify-full", "h", 5432, "u", "x", "d", .verifyFull),
        ] as [(String, String, Int, String, String?, String, PostgresLocation.TLSMode)]
    )
    func urlsAreParsed(_ example: (String, String, Int, String, String?, String, PostgresLocation.TLSMode)) throws {
        let location = try PostgresLocation(url: example.0)
        #expect(location.host == example.1)
        #expect(location.port == example.2)
        #expect(location.username == example.3)
        #expect(location.password == example.4)
        #expect(location.database == example.5)
        #expect(location.tls == example.6)
        #expect(!location.description.contains("p@ss") && !location.description.contains(":x@"))
    }

    @Test func unixSocketURL() throws {
        let location = try PostgresLocation(url: "postgres://postgres@/hook?host=/tmp/pg&port=55433")
        #expect(location.socketDirectory == "/tmp/pg")
        #expect(location.host == nil)
        #expect(location.database == "hook")
    }

    @Test(arguments: [
        "postgres://localhost/db", "postgres://u@localhost/", "postgres://u@localhost/db?sslmode=prefer",
        "mysql://u@localhost/db", "postgres://u@/db",
    ])
    func badURLsAreRefused(_ url: String) {
        #expect(throws: PostgresLocationError.self) { try PostgresLocation(url: url) }
    }
}
