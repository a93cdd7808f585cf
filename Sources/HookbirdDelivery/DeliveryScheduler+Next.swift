//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage

extension DeliveryScheduler {
    /// The next action, in this order: stop; start ready deliveries on free workers, the endpoints in turn and each
    /// within its limit (dropping those that waited too long); give the dropped back to the table; take handed-off
    /// deliveries; claim; wait. The loop calls it again after each action but `wait`.
    mutating func next(now: Timestamp) -> Action {
        if stopping { return .stop }
        // During an outage the backoff holds even when work is queued (the request stays for later).
        let backingOff = outage.failures > 0 && now < nextClaim
        // While a claim is out, a request waits for it to come back (a short claim would otherwise drop it).
        if !backingOff, !claiming, claimRequested || now >= nextClaim {
            claimWanted = true
            claimRequested = false
            if now >= nextClaim { skips.somethingQueued() }
        }
        if free > 0, !ready.isEmpty {
            let started = ready.take(free, now: now, room: room)
            dropped += started.dropped.count
            toRelease += started.dropped
            if !started.deliveries.isEmpty {
                inFlight += started.deliveries.count
                for delivery in started.deliveries { loads[delivery.endpoint.id]?.inFlight += 1 }
                claimForSkippedEndpoints(started.deliveries)
                return .start(started.deliveries, waited: started.waited)
            }
        }
        if !toRelease.isEmpty {
            defer { toRelease = [] }
            for id in Set(loads.keys) { forgetIfIdle(id) }
            return .release(toRelease)
        }
        // Deliveries the store handed over, already leased, go next; while the table has due work too (it
        // overflowed there when every worker was busy), they get half the free workers, so that neither waits for
        // the other to run dry.
        if free > 0, handOffMayHaveWork {
            handOffMayHaveWork = false
            return .takeHandOff(limit: claimWanted || claiming ? (free + 1) / 2 : free)
        }
        // Under load, claim in batches rather than one worker at a time: every claim is a write.
        // What waits for an endpoint without room does not take the room of a claim (which skips that endpoint).
        let claimRoom = free + configuration.claimAhead - ready.startable(room: room)
        let busyWorkers = configuration.workers - free
        if claimWanted, !claiming, claimRoom >= (busyWorkers > 0 ? configuration.claimBatch : 1) {
            let skipped = Set(saturatedEndpoints)
            if skips.holds(skipping: skipped) {
                // It would find nothing the last one did not: wait for work, a retry, the timer, or one of the
                // skipped endpoints to have less than a round waiting.
                claimWanted = false
            } else {
                claiming = true
                claimStartedAt = now
                skips.claiming(skipping: skipped)
                return .claim(limit: claimRoom, excluding: Array(skipped))
            }
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
