//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import HookbirdTesting
import Synchronization
import Testing

@Suite("Delivery queue")
struct DeliveryQueueTests {
    /// An application with one endpoint.
    static func setUp(_ store: any HookbirdStore) async throws -> (Application, Endpoint) {
        let app = Make.application()
        try await store.insertApplication(app)
        let endpoint = Make.endpoint(app)
        try await store.insertEndpoint(endpoint)
        return (app, endpoint)
    }

    @Test(arguments: TestBackend.available)
    func claimsLeaseAndLeaseExpiry(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let t0 = Timestamp(microseconds: Timestamp.now.microseconds)
            for _ in 0..<3 { try await store.insertMessage(Make.message(app, at: t0)) }
            #expect(try await store.nextDueTime() == t0)
            #expect(try await store.queueStatistics(now: t0) == QueueStatistics(depth: 3, oldestDue: t0))
            #expect(
                try await store.claimDeliveries(now: t0.adding(seconds: -1), limit: 10, lease: .seconds(30)).isEmpty
            )
            #expect(try await store.claimDeliveries(now: t0, limit: 0, lease: .seconds(30)).isEmpty)

            let first = try await store.claimDeliveries(now: t0, limit: 2, lease: .seconds(30))
            #expect(first.count == 2)
            #expect(first.allSatisfy { $0.endpoint == endpoint && $0.message.appID == app.id })
            let second = try await store.claimDeliveries(now: t0, limit: 2, lease: .seconds(30))
            #expect(second.count == 1)
            #expect(
                try await store.claimDeliveries(now: t0.adding(seconds: 29), limit: 10, lease: .seconds(30)).isEmpty
            )
            // Leased deliveries still count in the backlog, but not as waiting.
            #expect(try await store.queueStatistics(now: t0) == QueueStatistics(depth: 3, oldestDue: nil))
            #expect(try await store.nextDueTime() == t0.adding(seconds: 30))

            // When the lease runs out, the delivery can be claimed again (its worker is presumed dead).
            let again = try await store.claimDeliveries(now: t0.adding(seconds: 30), limit: 10, lease: .seconds(30))
            #expect(Set(again.map(\.id)) == Set((first + second).map(\.id)))
        }
    }

    @Test(arguments: TestBackend.available)
    func completionOutcomes(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let t0 = Timestamp.now
            for _ in 0..<3 { try await store.insertMessage(Make.message(app, at: t0)) }
            let claimed = try await store.claimDeliveries(now: t0, limit: 3, lease: .seconds(30))
            #expect(claimed.count == 3)

            var effects = try await store.completeDelivery(
                Make.completion(claimed[0], outcome: .succeeded, at: t0),
                now: t0
            )
            #expect(effects == CompletionEffects())
            effects = try await store.completeDelivery(
                Make.completion(claimed[1], outcome: .retry(at: t0.adding(seconds: 60)), code: 500, at: t0),
                now: t0
            )
            #expect(effects == CompletionEffects())
            _ = try await store.completeDelivery(
                Make.completion(claimed[2], outcome: .failed(exhausted: false), code: 500, at: t0),
                now: t0
            )
            let window = (t0.adding(seconds: -5), t0.adding(seconds: 5))
            #expect(
                try await store.deliveryCounts(endpoint: endpoint.id, since: window.0, until: window.1)
                    == [.success: 1, .pending: 1, .fail: 1]
            )
            #expect(try await store.nextDueTime() == t0.adding(seconds: 60))
            #expect(
                try await store.claimDeliveries(now: t0.adding(seconds: 59), limit: 10, lease: .seconds(30)).isEmpty
            )
            let retried = try await store.claimDeliveries(now: t0.adding(seconds: 60), limit: 10, lease: .seconds(30))
            #expect(retried.map(\.id) == [claimed[1].id])
            #expect(retried.first?.attemptCount == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func postponeAndManualDeliveries(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let t0 = Timestamp.now
            let message = Make.message(app, at: t0)
            try await store.insertMessage(message)
            let claimed = try await store.claimDeliveries(now: t0, limit: 1, lease: .seconds(30))
            try await store.postponeDelivery(id: claimed[0].id, until: t0.adding(seconds: 100))
            #expect(try await store.nextDueTime() == t0.adding(seconds: 100))
            #expect(try await store.claimDeliveries(now: t0.adding(seconds: 99), limit: 1, lease: .seconds(30)).isEmpty)
            let later = try await store.claimDeliveries(now: t0.adding(seconds: 100), limit: 1, lease: .seconds(30))
            #expect(later.map(\.id) == claimed.map(\.id))
            #expect(later.first?.attemptCount == 0)

            try await store.enqueueManualDelivery(message: message, endpoint: endpoint, now: t0.adding(seconds: 100))
            let manual = try await store.claimDeliveries(now: t0.adding(seconds: 100), limit: 5, lease: .seconds(30))
            #expect(manual.count == 1)
            #expect(manual.first?.trigger == .manual)
            #expect(manual.first?.message == message)
        }
    }

    @Test(arguments: TestBackend.available)
    func deliveryStatesAndExpediting(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let t0 = Timestamp(microseconds: Timestamp.now.microseconds)
            let waiting = Make.message(app, at: t0)
            let done = Make.message(app, at: t0)
            try await store.insertMessage(waiting)
            try await store.insertMessage(done)
            #expect(try await store.deliveries(message: MessageID(unchecked: "msg_unknown")).isEmpty)

            let claimed = try await store.claimDeliveries(now: t0, limit: 2, lease: .seconds(30))
            let byMessage = Dictionary(uniqueKeysWithValues: claimed.map { ($0.message.id, $0) })
            let retryAt = t0.adding(seconds: 600)
            _ = try await store.completeDelivery(
                Make.completion(try #require(byMessage[waiting.id]), outcome: .retry(at: retryAt), code: 500, at: t0),
                now: t0
            )
            _ = try await store.completeDelivery(
                Make.completion(try #require(byMessage[done.id]), outcome: .succeeded, at: t0),
                now: t0
            )
            #expect(
                try await store.deliveries(message: waiting.id)
                    == [DeliveryState(endpointID: endpoint.id, status: .pending, trigger: .scheduled, attemptCount: 1,
                                      nextAttemptAt: retryAt)]
            )
            // A finished delivery has no next attempt time.
            #expect(try await store.deliveries(message: done.id).map(\.nextAttemptAt) == [nil])
            #expect(try await store.deliveries(message: done.id).map(\.status) == [.success])

            // Expediting makes the waiting retry due now; nothing else changes, and a second call finds nothing.
            let now = t0.adding(seconds: 1)
            #expect(try await store.expediteDeliveries(endpoint: endpoint.id, now: now) == 1)
            #expect(try await store.expediteDeliveries(endpoint: endpoint.id, now: now) == 0)
            #expect(try await store.deliveries(message: waiting.id).first?.nextAttemptAt == now)
            let due = try await store.claimDeliveries(now: now, limit: 10, lease: .seconds(30))
            #expect(due.map(\.message.id) == [waiting.id])
        }
    }

    @Test(arguments: TestBackend.available)
    func deliveriesToDisabledOrDeletedEndpointsAreCancelled(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let other = Make.endpoint(app)
            try await store.insertEndpoint(other)
            let t0 = Timestamp.now
            try await store.insertMessage(Make.message(app, at: t0))
            var disabled = endpoint
            disabled.disabled = true
            try await store.updateEndpoint(disabled)
            try await store.deleteEndpoint(app: app.id, id: other.id)
            #expect(try await store.claimDeliveries(now: t0, limit: 10, lease: .seconds(30)).isEmpty)
            let window = (t0.adding(seconds: -5), t0.adding(seconds: 5))
            #expect(
                try await store.deliveryCounts(endpoint: endpoint.id, since: window.0, until: window.1) == [
                    .canceled: 1
                ]
            )
            #expect(
                try await store.deliveryCounts(endpoint: other.id, since: window.0, until: window.1) == [.canceled: 1]
            )
            #expect(try await store.nextDueTime() == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func goneDisablesTheEndpointAndCancelsItsBacklog(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let t0 = Timestamp.now
            for _ in 0..<3 { try await store.insertMessage(Make.message(app, at: t0)) }
            let claimed = try await store.claimDeliveries(now: t0, limit: 1, lease: .seconds(30))
            let effects = try await store.completeDelivery(
                Make.completion(claimed[0], outcome: .failed(exhausted: false), code: 410, gone: true, at: t0),
                now: t0
            )
            #expect(effects.disabledEndpoint)
            #expect(effects.failingSince == t0)
            #expect(try await store.endpoint(app: app.id, idOrUID: endpoint.id.rawValue)?.disabled == true)
            let counts = try await store.deliveryCounts(
                endpoint: endpoint.id,
                since: t0.adding(seconds: -5),
                until: t0.adding(seconds: 5)
            )
            #expect(counts == [.fail: 1, .canceled: 2])
            // Messages sent now are not queued for it.
            #expect(try await store.insertMessage(Make.message(app)) == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func exhaustedMessagesDisableAFailingEndpoint(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let t0 = Timestamp.now
            for _ in 0..<4 { try await store.insertMessage(Make.message(app, at: t0)) }
            let claimed = try await store.claimDeliveries(now: t0, limit: 4, lease: .seconds(30))
            #expect(claimed.count == 4)
            func fail(_ index: Int, at seconds: Int64, exhausted: Bool = true) async throws -> CompletionEffects {
                let now = t0.adding(seconds: seconds)
                return try await store.completeDelivery(
                    Make.completion(
                        claimed[index],
                        outcome: .failed(exhausted: exhausted),
                        code: 500,
                        at: now,
                        disableAfter: .seconds(5)
                    ),
                    now: now
                )
            }
            // A failure, then a success: the endpoint's failure record is cleared.
            _ = try await fail(0, at: 0, exhausted: false)
            _ = try await store.completeDelivery(
                Make.completion(claimed[1], outcome: .succeeded, at: t0.adding(seconds: 1)),
                now: t0.adding(seconds: 1)
            )
            // Failing since 10 s, two exhausted messages by 16 s: disabled.
            var effects = try await fail(2, at: 10)
            #expect(effects == CompletionEffects(disabledEndpoint: false, failingSince: t0.adding(seconds: 10)))
            effects = try await fail(3, at: 16)
            #expect(effects == CompletionEffects(disabledEndpoint: true, failingSince: t0.adding(seconds: 10)))
            #expect(try await store.endpoint(app: app.id, idOrUID: endpoint.id.rawValue)?.disabled == true)
        }
    }

    /// Successes recorded together (the delivery engine's batches) end as each would alone: deliveries finished,
    /// attempts kept, and the endpoint's failure record cleared.
    @Test(arguments: TestBackend.available)
    func successesRecordedTogether(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let t0 = Timestamp.now
            for _ in 0..<5 { try await store.insertMessage(Make.message(app, at: t0)) }
            let claimed = try await store.claimDeliveries(now: t0, limit: 5, lease: .seconds(30))
            #expect(claimed.count == 5)
            _ = try await store.completeDelivery(
                Make.completion(claimed[0], outcome: .failed(exhausted: true), code: 500, at: t0),
                now: t0
            )
            try await store.completeSucceededDeliveries([], now: t0)
            let t1 = t0.adding(seconds: 1)
            try await store.completeSucceededDeliveries(
                claimed[1...].map { Make.completion($0, outcome: .succeeded, at: t1) },
                now: t1
            )
            let counts = try await store.deliveryCounts(
                endpoint: endpoint.id,
                since: t0.adding(seconds: -60),
                until: t0.adding(seconds: 60)
            )
            #expect(counts == [.fail: 1, .success: 4])
            for delivery in claimed[1...] {
                #expect(try await store.deliveries(message: delivery.message.id).map(\.status) == [.success])
            }
            // Nothing is left to claim, and the failure record went with the successes: a new failure starts one.
            #expect(try await store.claimDeliveries(now: t1.adding(seconds: 60), limit: 10, lease: .seconds(30)).isEmpty)
            try await store.insertMessage(Make.message(app, at: t1))
            let next = try await store.claimDeliveries(now: t1, limit: 1, lease: .seconds(30))
            let effects = try await store.completeDelivery(
                Make.completion(next[0], outcome: .failed(exhausted: true), code: 500, at: t1.adding(seconds: 1)),
                now: t1.adding(seconds: 1)
            )
            #expect(effects.failingSince == t1.adding(seconds: 1))
        }
    }

    @Test(arguments: TestBackend.available)
    func releasingLeasesAtStart(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, _) = try await Self.setUp(store)
            let t0 = Timestamp.now
            for _ in 0..<2 { try await store.insertMessage(Make.message(app, at: t0)) }
            #expect(try await store.claimDeliveries(now: t0, limit: 2, lease: .seconds(30)).count == 2)
            switch backend {
            case .sqlite:
                // One process owns the database: every lease is its own, from before a restart.
                #expect(try await store.releaseLeases(expiringBy: Timestamp(microseconds: .max), now: t0.adding(seconds: 1)) == 2)
                #expect(
                    try await store.claimDeliveries(now: t0.adding(seconds: 1), limit: 5, lease: .seconds(30)).count
                        == 2
                )
            case .postgres:
                // Other nodes' live leases are left alone; only expired ones are freed.
                #expect(try await store.releaseLeases(expiringBy: t0.adding(seconds: 1), now: t0.adding(seconds: 1)) == 0)
                #expect(
                    try await store.claimDeliveries(now: t0.adding(seconds: 1), limit: 5, lease: .seconds(30)).isEmpty
                )
                #expect(try await store.releaseLeases(expiringBy: t0.adding(seconds: 30), now: t0.adding(seconds: 30)) == 2)
                #expect(
                    try await store.claimDeliveries(now: t0.adding(seconds: 30), limit: 5, lease: .seconds(30)).count
                        == 2
                )
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func concurrentClaimersNeverShareADelivery(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, _) = try await Self.setUp(store)
            let t0 = Timestamp.now
            let total = 120
            for _ in 0..<total { try await store.insertMessage(Make.message(app, at: t0)) }
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await store.claimDeliveries(now: t0, limit: 7, lease: .seconds(60))
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                var all: [[Int64]] = []
                for try await claimed in group { all.append(claimed) }
                return all
            }
            let ids = claims.flatMap { $0 }
            #expect(ids.count == total)
            #expect(Set(ids).count == total)
        }
    }

    @Test(arguments: TestBackend.available)
    func recoverAndReplay(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.setUp(store)
            let t0 = Timestamp.now
            var messages: [Message] = []
            for _ in 0..<4 {
                let message = Make.message(app, at: t0)
                try await store.insertMessage(message)
                messages.append(message)
            }
            var claimed = try await store.claimDeliveries(now: t0, limit: 4, lease: .seconds(30))
            claimed.sort { $0.message.id.rawValue < $1.message.id.rawValue }
            messages.sort { $0.id.rawValue < $1.id.rawValue }
            // 0 failed, 1 succeeded, 2 failed then succeeded on a resend, 3 still retrying.
            _ = try await store.completeDelivery(
                Make.completion(claimed[0], outcome: .failed(exhausted: true), code: 500, at: t0),
                now: t0
            )
            _ = try await store.completeDelivery(Make.completion(claimed[1], outcome: .succeeded, at: t0), now: t0)
            _ = try await store.completeDelivery(
                Make.completion(claimed[2], outcome: .failed(exhausted: true), code: 500, at: t0),
                now: t0
            )
            _ = try await store.completeDelivery(
                Make.completion(claimed[3], outcome: .retry(at: t0.adding(seconds: 600)), code: 500, at: t0),
                now: t0
            )
            try await store.enqueueManualDelivery(message: messages[2], endpoint: endpoint, now: t0)
            let resend = try await store.claimDeliveries(now: t0, limit: 5, lease: .seconds(30))
            #expect(resend.count == 1)
            _ = try await store.completeDelivery(Make.completion(resend[0], outcome: .succeeded, at: t0), now: t0)

            let since = t0.adding(seconds: -3600)
            let until = t0.adding(seconds: 3600)
            #expect(
                try await store.recoverFailedDeliveries(endpoint: endpoint, since: since, until: until, now: t0) == 1
            )
            let recovered = try await store.claimDeliveries(now: t0, limit: 5, lease: .seconds(30))
            #expect(recovered.map(\.message.id) == [messages[0].id])
            #expect(recovered.first?.trigger == .manual)
            // Outside the window: nothing.
            #expect(
                try await store.recoverFailedDeliveries(
                    endpoint: endpoint,
                    since: t0.adding(seconds: 7200),
                    until: t0.adding(seconds: 9000),
                    now: t0
                ) == 0
            )

            // A new endpoint missed every message: replay queues them all, once.
            let late = Make.endpoint(app)
            try await store.insertEndpoint(late)
            #expect(try await store.replayMissingDeliveries(endpoint: late, since: since, until: until, now: t0) == 4)
            #expect(try await store.replayMissingDeliveries(endpoint: late, since: since, until: until, now: t0) == 0)
            let replayed = try await store.claimDeliveries(now: t0, limit: 10, lease: .seconds(30))
            #expect(Set(replayed.map(\.message.id)) == Set(messages.map(\.id)))
            #expect(replayed.allSatisfy { $0.endpoint.id == late.id && $0.trigger == .manual })
        }
    }

    @Test(arguments: TestBackend.available)
    func newWorkSignalsTheStore(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (app, _) = try await Self.setUp(store)
            // Drain whatever signal setting up left behind.
            await store.workSignal.wait(timeout: .milliseconds(200))
            let clock = ContinuousClock()
            let started = clock.now
            async let waited: Void = store.workSignal.wait(timeout: .seconds(5))
            try await Task.sleep(for: .milliseconds(50))
            try await store.insertMessage(Make.message(app))
            await waited
            #expect(clock.now - started < .seconds(4))
        }
    }
}
