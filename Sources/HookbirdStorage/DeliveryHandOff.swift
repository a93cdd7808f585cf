//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Synchronization

/// Fresh deliveries handed by the store straight to the delivery engine of the same process, already leased in the
/// transaction that queued them, so they skip the claim transaction and its wait.
///
/// Only a backend that one process uses alone hands off (SQLite); with several processes on one database every
/// delivery is claimed. The engine opens the hand-off when it starts, with the lease its claims use and the number
/// of deliveries it is willing to hold in memory; the store asks ``leaseForHandOff(count:)`` inside the transaction
/// and, once it has committed, passes the leased deliveries to ``submit(_:)``. The room is a soft bound (a
/// transaction's hand-offs reach the queue only after its commit), so a full engine makes new deliveries wait in the
/// table, where claims find them, rather than in memory. A delivery handed off but never started (the process
/// stopped) keeps its lease in the table, which a restart releases.
public final class DeliveryHandOff: Sendable {
    private struct State {
        var lease: Duration?
        var room = 0
        var queue: [ClaimedDelivery] = []
    }

    private let state = Mutex(State())
    private let signal: WorkSignal

    /// - Parameter signal: Woken when deliveries are submitted.
    public init(signal: WorkSignal) {
        self.signal = signal
    }

    /// Starts taking hand-offs (the delivery engine, when it starts).
    /// - Parameters:
    ///   - lease: The lease each handed-off delivery gets in the table, as a claim would give it.
    ///   - room: How many handed-off deliveries may wait for a worker.
    public func open(lease: Duration, room: Int) {
        state.withLock {
            $0.lease = lease
            $0.room = room
        }
    }

    /// Stops taking hand-offs; returns those that were never taken (they stay leased in the table).
    @discardableResult
    public func close() -> [ClaimedDelivery] {
        state.withLock { state in
            state.lease = nil
            defer { state.queue = [] }
            return state.queue
        }
    }

    /// The lease to give `count` new deliveries that will be handed off, or `nil` when they must wait in the table
    /// for a claim (no engine, or no room).
    public func leaseForHandOff(count: Int) -> Duration? {
        state.withLock { state in
            guard let lease = state.lease, state.queue.count + count <= state.room else { return nil }
            return lease
        }
    }

    /// Passes committed, leased deliveries to the engine and wakes it.
    public func submit(_ deliveries: [ClaimedDelivery]) {
        guard !deliveries.isEmpty else { return }
        let now = Timestamp.now
        let stamped = deliveries.map { delivery in
            var delivery = delivery
            delivery.handedOffAt = now
            return delivery
        }
        state.withLock { $0.queue += stamped }
        signal.wake()
    }

    /// Up to `limit` handed-off deliveries, oldest first.
    public func take(limit: Int) -> [ClaimedDelivery] {
        state.withLock { state in
            guard !state.queue.isEmpty, limit > 0 else { return [] }
            let taken = Array(state.queue.prefix(limit))
            state.queue.removeFirst(taken.count)
            return taken
        }
    }
}
