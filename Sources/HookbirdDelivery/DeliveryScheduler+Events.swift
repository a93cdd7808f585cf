//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage

extension DeliveryScheduler {
    /// The store queued work in the table (or a delivery was scheduled for a retry): claim.
    mutating func workQueued() {
        claimRequested = true
        skips.somethingQueued()
    }

    /// The loop woke from a wait: handed-off deliveries may be waiting.
    mutating func woke() {
        handOffMayHaveWork = usesHandOff
    }

    /// Graceful shutdown was asked for.
    mutating func shutdownRequested() {
        stopping = true
    }

    /// The deliveries the loop took from the hand-off, having asked for `asked`: they are started next.
    mutating func handedOff(_ deliveries: [ClaimedDelivery], asked: Int, now: Timestamp) {
        handOffMayHaveWork = usesHandOff && deliveries.count >= asked
        enqueue(deliveries, since: now, until: now.adding(configuration.readyLimit))
    }

    /// A claim brought `claimed`; `idle` (how long until the next delivery is due) when it brought fewer than it
    /// asked for, so that the loop claims again only when asked or at that time.
    /// - Returns: The end of an outage, to log.
    mutating func claimSucceeded(_ claimed: [ClaimedDelivery], idle: Duration?, now: Timestamp) -> StorageOutage.Change? {
        claiming = false
        enqueue(claimed, since: now, until: claimStartedAt.adding(configuration.readyLimit))
        if let idle {
            claimWanted = false
            nextClaim = now.adding(idle)
            skips.claimCameBackShort()
        }
        return outage.recovered(at: now)
    }

    /// A claim failed (the database is unreachable, or the claim failed otherwise): back off and try again; the
    /// engine never stops for a storage error.
    /// - Returns: The change to the outage, to log.
    mutating func claimFailed(now: Timestamp) -> StorageOutage.Change {
        claiming = false
        claimWanted = false
        let change = outage.failed(at: now)
        nextClaim = now.adding(change.wait ?? StorageOutage.firstBackoff)
        return change
    }

    /// A worker's response is in (or its request timed out, `timedOut`). The endpoint's slot is free again, and so
    /// is the worker, for the next delivery, while the attempt waits for its record, unless `recordingLimit`
    /// attempts already wait. A timeout counts one more in a row for the endpoint; any response ends the run.
    /// - Returns: Whether the worker was freed, and whether the loop should be woken (a worker was freed, or the
    ///   endpoint has deliveries waiting for the slot).
    mutating func responseReceived(endpoint: EndpointID, timedOut: Bool) -> (released: Bool, wake: Bool) {
        endpointFreed(endpoint, timedOut: timedOut)
        guard recording < configuration.recordingLimit else { return (false, ready.waiting(endpoint) > 0) }
        recording += 1
        inFlight -= 1
        return (true, true)
    }

    /// A delivery's task ends.
    /// - Parameters:
    ///   - endpoint: Its endpoint.
    ///   - responded: ``responseReceived(endpoint:timedOut:)`` was reported (no request was made otherwise: the
    ///     throttle postponed it, or shutdown cut it off).
    ///   - released: Its worker was freed when its response came in.
    ///   - handedOver: Its success was left to the success recorder, which reports ``successesRecorded(_:)``.
    ///   - retry: A retry was scheduled in the table.
    /// - Returns: Whether the loop should be woken.
    mutating func deliveryFinished(
        endpoint: EndpointID,
        responded: Bool,
        released: Bool,
        handedOver: Bool,
        retry: Bool
    ) -> Bool {
        if !responded { endpointFreed(endpoint, timedOut: nil) }
        if handedOver { return false }
        if released { recording -= 1 } else { inFlight -= 1 }
        // A retry is queued in the table: look for due work again. Otherwise a worker is free.
        if retry {
            claimRequested = true
            skips.somethingQueued()
        }
        return retry || !released
    }

    /// The success recorder wrote `count` attempts.
    mutating func successesRecorded(_ count: Int) {
        recording -= count
    }
}
