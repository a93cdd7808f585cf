//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage

extension DeliveryScheduler {
    /// The next action, in this order: stop; start ready deliveries on free workers (dropping those that waited too
    /// long); take handed-off deliveries; claim; wait. The loop calls it again after each action but `wait`.
    mutating func next(now: Timestamp) -> Action {
        if stopping { return .stop }
        // During an outage the backoff holds even when work is queued (the request stays for later).
        let backingOff = outage.failures > 0 && now < nextClaim
        if !backingOff, claimRequested || now >= nextClaim {
            claimWanted = true
            claimRequested = false
        }
        if free > 0, !ready.isEmpty {
            let started = ready.take(free, now: now)
            dropped += started.dropped
            if !started.deliveries.isEmpty {
                inFlight += started.deliveries.count
                return .start(started.deliveries)
            }
        }
        // Deliveries the store handed over, already leased, go next; while the table has due work too (it
        // overflowed there when every worker was busy), they get half the free workers, so that neither waits for
        // the other to run dry.
        if free > 0, handOffMayHaveWork {
            handOffMayHaveWork = false
            return .takeHandOff(limit: claimWanted || claiming ? (free + 1) / 2 : free)
        }
        // Under load, claim in batches rather than one worker at a time: every claim is a write.
        let room = free + configuration.claimAhead - ready.count
        let busyWorkers = configuration.workers - free
        if claimWanted, !claiming, room >= (busyWorkers > 0 ? configuration.claimBatch : 1) {
            claiming = true
            claimStartedAt = now
            return .claim(limit: room)
        }
        if claiming || free == 0 || (claimWanted && busyWorkers > 0) {
            // A wake is on its way (a claim's result, a worker that frees up), and nothing here waits for a time: no
            // timer (under load the loop waits thousands of times a second).
            return .wait(until: nil)
        }
        if claimWanted { return .wait(until: now.adding(.seconds(1))) }
        return .wait(until: max(nextClaim, now.adding(.milliseconds(1))))
    }
}

/// Claimed deliveries waiting for a worker, oldest first.
struct ReadyQueue: Sendable {
    private var items: [DeliveryScheduler.Ready] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ ready: [DeliveryScheduler.Ready]) {
        items += ready
    }

    /// Up to `limit` deliveries to start now, skipping (and counting) those whose time ran out.
    mutating func take(_ limit: Int, now: Timestamp) -> (deliveries: [ClaimedDelivery], dropped: Int) {
        var deliveries: [ClaimedDelivery] = []
        var dropped = 0
        while deliveries.count < limit, head < items.count {
            let ready = items[head]
            head += 1
            if now < ready.until { deliveries.append(ready.delivery) } else { dropped += 1 }
        }
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return (deliveries, dropped)
    }
}
