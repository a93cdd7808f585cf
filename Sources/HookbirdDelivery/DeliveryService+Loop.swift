//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import Logging
import Metrics

/// The loop's actions, carried out beside it: workers, claims, waits, the success recorder, shutdown.
extension DeliveryService {
    /// Frees the leases of the last run (SQLite: every lease; PostgreSQL: those that ran out). Not fatal when it
    /// fails: those leases run out by themselves and the deliveries are claimed again then.
    func releaseLeasesAtStart() async {
        do {
            let all = configuration.leasesAtStart == .all
            let released = try await bounded { store, now in
                try await store.releaseLeases(expiringBy: all ? Timestamp(microseconds: .max) : now, now: now)
            }
            if released > 0 {
                logger.notice("re-queued \(released) deliveries that were in flight when the last run stopped")
            }
        } catch {
            logger.warning("could not re-queue the deliveries of the last run", metadata: ["error": "\(error)"])
        }
    }

    /// One delivery on its worker. The worker is given back once the response is in, while the attempt waits for
    /// its transaction (``DeliveryScheduler/responseReceived()``); a success that needs nothing but its record is
    /// then left to the success recorder, and this task ends.
    func work(_ delivery: ClaimedDelivery, engine: EngineState) async {
        let endpoint = delivery.endpoint.id
        var responded = false
        var released = false
        var handedOver = false
        let outcome = await deliver(
            delivery,
            transport: engine.transport,
            sent: { timedOut in
                responded = true
                let freed = engine.update { $0.responseReceived(endpoint: endpoint, timedOut: timedOut) }
                released = freed.released
                if freed.wake { engine.signal.wake() }
            },
            recordLater: { completion in
                guard released else { return false }
                engine.recorder.add(completion)
                handedOver = true
                return true
            }
        )
        let retry = if case .retry = outcome { true } else { false }
        let finished = engine.update {
            $0.deliveryFinished(
                endpoint: endpoint,
                responded: responded,
                released: released,
                handedOver: handedOver,
                retry: retry
            )
        }
        if finished {
            engine.signal.wake()
        }
    }

    /// A claim beside the loop (it waits for the writer); its result goes to the scheduler. When it brought fewer
    /// than it asked for, the table has nothing more due now: the loop claims again when asked, or when the next
    /// delivery is due.
    func claim(limit: Int, excluding: [EndpointID], engine: EngineState) async {
        let lease = configuration.lease
        do {
            let claimed = try await bounded { store, now in
                try await store.claimDeliveries(now: now, limit: limit, lease: lease, excluding: excluding)
            }
            // A short claim: nothing more is due now, but for the endpoints it skipped, whose due deliveries the
            // next due time would count; the loop claims again when one of them has room, when work is queued, or
            // at the latest a quarter of a second later (a retry of another endpoint falling due meanwhile).
            let idle: Duration? =
                if claimed.count >= limit { nil } else if excluding.isEmpty { await idleWait() } else { .milliseconds(250) }
            if let ended = engine.update({ $0.claimSucceeded(claimed, idle: idle, now: clock.now) }) {
                StorageOutage.log(ended, logger: logger)
            }
        } catch {
            // The database is unreachable (or the claim failed otherwise): log once per outage, back off, and try
            // again; the engine never stops for a storage error.
            StorageOutage.log(engine.update { $0.claimFailed(now: clock.now) }, error: error, logger: logger)
        }
        engine.signal.wake()
    }

    /// Gives deliveries that waited too long for a worker back to the table, due now, instead of leaving them to
    /// their leases. Not fatal when it fails: the leases run out by themselves.
    func release(_ ids: [Int64]) async {
        do {
            try await bounded { store, now in try await store.releaseDeliveries(ids, now: now) }
        } catch {
            logger.warning("could not give back deliveries that waited too long", metadata: ["error": "\(error)"])
        }
    }

    /// Waits for a wake, or until `until`.
    func wait(until: Timestamp?, engine: EngineState) async {
        if let until {
            await engine.signal.wait(until: until, clock: clock)
        } else {
            await engine.signal.wait()
        }
    }

    /// Waits until nothing is in flight or waits for its record, or until `deadline`.
    func drain(_ engine: EngineState, until deadline: Timestamp) async {
        while engine.update({ $0.busy }), clock.now < deadline {
            await engine.signal.wait(until: min(deadline, clock.now.adding(.milliseconds(100))), clock: clock)
        }
    }

    /// Records the successes handed to `recorder`, a batch per transaction: while one is written the next gathers.
    /// Each is counted off once written (or once its write failed: its lease then brings it back). Ends when
    /// cancelled (graceful shutdown waits for the records first).
    func record(_ recorder: SuccessRecorder, engine: EngineState) async {
        while true {
            let batch = recorder.take(max: SuccessRecorder.maxBatch)
            if batch.isEmpty {
                if Task.isCancelled { return }
                await recorder.signal.wait()
                continue
            }
            do {
                try await store.completeSucceededDeliveries(batch, now: clock.now)
            } catch {
                // The leases run out and the deliveries are tried again: at least once.
                logger.error("recording attempts failed", metadata: ["error": "\(error)", "attempts": "\(batch.count)"])
            }
            engine.update { $0.successesRecorded(batch.count) }
            engine.signal.wake()
        }
    }

    /// How long the loop may sleep when there is nothing to claim: until the next delivery is due, at most 1 s.
    func idleWait() async -> Duration {
        guard let due = try? await bounded({ store, _ in try await store.nextDueTime() }) else { return .seconds(1) }
        let micros = due.microseconds - clock.now.microseconds
        return .microseconds(min(max(micros, 1000), 1_000_000))
    }

    /// Runs a storage call with the store and the time, waiting for it at most ``DeliveryConfiguration/storageTimeout``
    /// (see ``withStorageDeadline(_:_:)``) when the store's calls may stall.
    func bounded<T: Sendable>(
        _ call: @escaping @Sendable (any HookbirdStore, Timestamp) async throws -> T
    ) async throws -> T {
        let store = self.store
        let now = clock.now
        guard let timeout = configuration.storageTimeout else { return try await call(store, now) }
        return try await withStorageDeadline(timeout) { try await call(store, now) }
    }

    /// Refreshes the queue's metrics every ``DeliveryConfiguration/metricsInterval`` until shutdown.
    func reportQueueMetrics(_ engine: EngineState) async {
        while !engine.update({ $0.stopping }), !Task.isCancelled {
            if let statistics = try? await bounded({ store, now in try await store.queueStatistics(now: now) }) {
                metrics.queueDepth.record(statistics.depth)
                let age = statistics.oldestDue.map { max(0, clock.now.microseconds - $0.microseconds) } ?? 0
                metrics.oldestDueAge.record(Double(age) / 1_000_000)
            }
            metrics.reportInFlight(engine.update { $0.loads.compactMapValues { $0.inFlight > 0 ? $0.inFlight : nil } })
            try? await clock.sleep(until: clock.now.adding(configuration.metricsInterval), tolerance: nil)
        }
    }
}
