//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

@testable import HookbirdDelivery
import HookbirdCore
import HookbirdStorage
import Testing

/// Claimed deliveries for the scheduler's tests: one application, endpoints by number.
struct SchedulerFixture {
    static let start = Timestamp(iso8601: "2026-03-01T00:00:00Z")!
    static let application = ApplicationID.generate(at: start)

    static func endpoint(_ number: Int, app: ApplicationID = application) -> Endpoint {
        Endpoint(
            id: EndpointID(unchecked: "ep_\(number)"), appID: app, orgID: .default, uid: nil,
            url: "https://example.com/\(number)", description: "", disabled: false, eventTypes: nil, channels: nil,
            throttleRate: nil, metadata: [:], secret: EndpointSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!,
            createdAt: start, updatedAt: start
        )
    }

    /// `count` deliveries to endpoint `endpoint`, ids from `firstID`.
    static func deliveries(_ count: Int, endpoint: Endpoint = endpoint(1), firstID: Int64 = 1) -> [ClaimedDelivery] {
        (0..<count).map { index in
            let message = Message(
                id: .generate(at: start), appID: endpoint.appID, orgID: .default, eventType: "e", eventID: nil,
                channels: nil, payload: Array("{}".utf8), retentionDays: 1, createdAt: start
            )
            return ClaimedDelivery(
                id: firstID + Int64(index), message: message, endpoint: endpoint, attemptCount: 0, trigger: .scheduled
            )
        }
    }
}

extension DeliveryScheduler.Action {
    var started: [Int64]? {
        if case .start(let deliveries, _) = self { return deliveries.map(\.id) }
        return nil
    }
    var claimLimit: Int? {
        if case .claim(let limit, _) = self { return limit }
        return nil
    }
    var handOffLimit: Int? {
        if case .takeHandOff(let limit) = self { return limit }
        return nil
    }
    /// `.some(nil)`: a wait without a timer.
    var waitUntil: Timestamp?? {
        if case .wait(let until) = self { return .some(until) }
        return nil
    }
    var excluded: [EndpointID]? {
        if case .claim(_, let excluding) = self { return excluding }
        return nil
    }
    var released: [Int64]? {
        if case .release(let ids) = self { return ids }
        return nil
    }
    var isStop: Bool {
        if case .stop = self { return true }
        return false
    }
}

@Suite struct DeliverySchedulerTests {
    let start = SchedulerFixture.start
    let ep1 = SchedulerFixture.endpoint(1).id
    /// 4 workers, 8 claimed ahead, 8 records waiting at most, 15 s in the ready queue; batches of 3.
    let configuration = DeliveryScheduler.Configuration(
        workers: 4, claimAhead: 8, recordingLimit: 8, readyLimit: .seconds(15)
    )

    func scheduler(handOff: Bool = false) -> DeliveryScheduler {
        DeliveryScheduler(configuration, handOff: handOff, now: start)
    }

    /// Starting, it claims at once, as much as it may hold: the free workers plus the claim-ahead.
    @Test func claimsAtStart() {
        var scheduler = scheduler()
        #expect(scheduler.next(now: start).claimLimit == 12)
        // One claim at a time: the next action waits for its result, without a timer.
        #expect(scheduler.next(now: start).waitUntil == .some(nil))
    }

    /// Claimed deliveries start on the free workers; the rest wait in the ready queue for workers to free up.
    @Test func claimedDeliveriesStartOnFreeWorkers() {
        var scheduler = scheduler()
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(6), idle: .seconds(1), now: start)
        #expect(scheduler.next(now: start).started == [1, 2, 3, 4])
        #expect(scheduler.inFlight == 4)
        #expect(scheduler.ready.count == 2)
        // Every worker busy: wait for one, no timer.
        #expect(scheduler.next(now: start).waitUntil == .some(nil))
        #expect(scheduler.deliveryFinished(endpoint: ep1, responded: false, released: false, handedOver: false, retry: false) == true)
        #expect(scheduler.next(now: start).started == [5])
    }

    /// A claim that brought all it asked for means more may be due: claim again (once a batch fits under load).
    @Test func aFullClaimClaimsAgain() {
        var scheduler = scheduler()
        #expect(scheduler.next(now: start).claimLimit == 12)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(12), idle: nil, now: start)
        #expect(scheduler.next(now: start).started == [1, 2, 3, 4])
        // 4 busy, 8 ready: no room for a batch of 3 (12 + … − 8 − 4 = 0).
        #expect(scheduler.next(now: start).waitUntil == .some(nil))
        for _ in 0..<3 { _ = scheduler.deliveryFinished(endpoint: ep1, responded: false, released: false, handedOver: false, retry: false) }
        #expect(scheduler.next(now: start).started == [5, 6, 7])
        for _ in 0..<3 { _ = scheduler.deliveryFinished(endpoint: ep1, responded: false, released: false, handedOver: false, retry: false) }
        #expect(scheduler.next(now: start).started == [8, 9, 10])
        // 4 busy, 2 ready: room for 8 − 2 = 6 ≥ 3.
        #expect(scheduler.next(now: start).claimLimit == 6)
    }

    /// A short claim (the table has nothing more due now) waits until the next due time, then claims; new work
    /// queued meanwhile claims at once.
    @Test func aShortClaimWaitsForTheNextDueTimeOrForWork() {
        var scheduler = scheduler()
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded([], idle: .milliseconds(300), now: start)
        #expect(scheduler.next(now: start).waitUntil == .some(start.adding(.milliseconds(300))))
        // The timer fires.
        #expect(scheduler.next(now: start.adding(.milliseconds(300))).claimLimit == 12)
        _ = scheduler.claimSucceeded([], idle: .seconds(1), now: start.adding(.milliseconds(300)))
        #expect(scheduler.next(now: start.adding(.milliseconds(400))).waitUntil != nil)
        scheduler.workQueued()
        #expect(scheduler.next(now: start.adding(.milliseconds(400))).claimLimit == 12)
    }

    /// A claimed delivery that waited in the ready queue past its limit (every worker stuck on slow requests) is
    /// dropped, not started: its lease might run out before its attempt is recorded, so it is left to the lease and
    /// claimed again later. The ready limit runs from when the claim started.
    @Test func theReadyQueueDropsWhatWaitedTooLong() {
        var scheduler = scheduler()
        #expect(scheduler.next(now: start).claimLimit == 12)
        let claimedAt = start.adding(.seconds(1))
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(7), idle: .seconds(1), now: claimedAt)
        #expect(scheduler.next(now: claimedAt).started == [1, 2, 3, 4])
        // Two workers free up 14.9 s after the claim started: still in time.
        let inTime = start.adding(.milliseconds(14_900))
        _ = scheduler.deliveryFinished(endpoint: ep1, responded: false, released: false, handedOver: false, retry: false)
        _ = scheduler.deliveryFinished(endpoint: ep1, responded: false, released: false, handedOver: false, retry: false)
        #expect(scheduler.next(now: inTime).started == [5, 6])
        // The last one's time ran out at 15 s: dropped when a worker frees up, nothing started.
        _ = scheduler.deliveryFinished(endpoint: ep1, responded: false, released: false, handedOver: false, retry: false)
        let late = start.adding(.seconds(15))
        let action = scheduler.next(now: late)
        #expect(action.released == [7])  // given back to the table, due now
        #expect(scheduler.dropped == 1)
        #expect(scheduler.ready.isEmpty)
        #expect(scheduler.inFlight == 3)
        #expect(action.claimLimit == nil || action.claimLimit! > 0)
    }

    /// A handed-off delivery's time in the ready queue runs from when the store handed it over (its lease began
    /// then), not from when the loop took it: one that waited in the hand-off past the ready limit is dropped and
    /// given back to the table instead of being sent after its lease may have run out (and a claim took it too).
    @Test func handedOffDeliveriesCountTheirTimeInTheHandOff() {
        var scheduler = scheduler(handOff: true)
        var stale = SchedulerFixture.deliveries(2)
        stale[0].handedOffAt = start
        stale[1].handedOffAt = start.adding(.seconds(10))
        let takenAt = start.adding(.seconds(16))
        _ = scheduler.next(now: takenAt)
        scheduler.handedOff(stale, asked: 2, now: takenAt)
        let action = scheduler.next(now: takenAt)
        #expect(action.started == [2])
        #expect(scheduler.next(now: takenAt).released == [1])
    }

    /// A worker is free again once its response is in, while the attempt waits for its record, unless
    /// `recordingLimit` attempts already wait.
    @Test func aResponseFreesItsWorkerUntilTooManyRecordsWait() {
        var scheduler = DeliveryScheduler(
            .init(workers: 2, claimAhead: 0, recordingLimit: 1, readyLimit: .seconds(15)), handOff: false, now: start
        )
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(2), idle: nil, now: start)
        #expect(scheduler.next(now: start).started == [1, 2])
        #expect(scheduler.responseReceived(endpoint: ep1, timedOut: false).released == true)
        #expect(scheduler.inFlight == 1)
        #expect(scheduler.recording == 1)
        #expect(scheduler.responseReceived(endpoint: ep1, timedOut: false).released == false)  // one record waits already
        #expect(scheduler.inFlight == 1)
        // The released one's task ends: its record is written, nothing to wake for.
        #expect(scheduler.deliveryFinished(endpoint: ep1, responded: true, released: true, handedOver: false, retry: false) == false)
        #expect(scheduler.recording == 0)
        // The other ends holding its worker: wake the loop.
        #expect(scheduler.deliveryFinished(endpoint: ep1, responded: true, released: false, handedOver: false, retry: false) == true)
        #expect(!scheduler.busy)
    }

    /// A success handed to the recorder is counted off when the recorder has written it.
    @Test func handedOverSuccessesAreCountedOffByTheRecorder() {
        var scheduler = scheduler()
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(2), idle: .seconds(1), now: start)
        _ = scheduler.next(now: start)
        #expect(scheduler.responseReceived(endpoint: ep1, timedOut: false).released == true)
        #expect(scheduler.responseReceived(endpoint: ep1, timedOut: false).released == true)
        #expect(scheduler.deliveryFinished(endpoint: ep1, responded: true, released: true, handedOver: true, retry: false) == false)
        #expect(scheduler.deliveryFinished(endpoint: ep1, responded: true, released: true, handedOver: true, retry: false) == false)
        #expect(scheduler.busy)
        scheduler.successesRecorded(2)
        #expect(!scheduler.busy)
    }

    /// A retry queued in the table asks for a claim.
    @Test func aRetryAsksForAClaim() {
        var scheduler = scheduler()
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(1), idle: .seconds(1), now: start)
        _ = scheduler.next(now: start)
        // A worker busy, nothing asked: wait for the next due time.
        #expect(scheduler.next(now: start).waitUntil == .some(start.adding(.seconds(1))))
        #expect(scheduler.deliveryFinished(endpoint: ep1, responded: false, released: false, handedOver: false, retry: true) == true)
        #expect(scheduler.next(now: start).claimLimit == 12)
    }

    /// Handed-off deliveries are taken when a worker is free and the loop woke; while the table has due work too,
    /// they get half the free workers.
    @Test func handOffsTakeTheFreeWorkersOrHalfWhileClaiming() {
        var scheduler = scheduler(handOff: true)
        // At start a claim is wanted too: half of the 4 free workers.
        #expect(scheduler.next(now: start).handOffLimit == 2)
        scheduler.handedOff(SchedulerFixture.deliveries(2), asked: 2, now: start)
        #expect(scheduler.next(now: start).started == [1, 2])
        // It took all it asked for: there may be more.
        #expect(scheduler.next(now: start).handOffLimit == 1)
        scheduler.handedOff([], asked: 1, now: start)
        #expect(scheduler.next(now: start).claimLimit != nil)
        _ = scheduler.claimSucceeded([], idle: .seconds(1), now: start)
        // Nothing more until the loop wakes (the hand-off wakes it when it has deliveries).
        #expect(scheduler.next(now: start).waitUntil != nil)
        scheduler.woke()
        #expect(scheduler.next(now: start).handOffLimit == 2)  // no claim wanted: all free workers
        scheduler.handedOff(SchedulerFixture.deliveries(1, firstID: 10), asked: 2, now: start)
        #expect(scheduler.next(now: start).started == [10])
    }

    /// A failed claim backs off (100 ms, doubling to 5 s), even when work is queued meanwhile; the request is kept
    /// and claimed once the backoff is over; a claim that works ends the outage, and the next one starts over.
    @Test func anOutageBacksOffAndKeepsTheClaimRequest() {
        var scheduler = scheduler()
        var now = start
        var waits: [Duration] = []
        for _ in 0..<8 {
            #expect(scheduler.next(now: now).claimLimit == 12)
            let change = scheduler.claimFailed(now: now)
            waits.append(change.wait!)
            scheduler.workQueued()
            // Backing off: no claim before its end, though work was queued.
            #expect(scheduler.next(now: now).waitUntil == .some(now.adding(change.wait!)))
            #expect(scheduler.next(now: now.adding(change.wait! - .milliseconds(1))).claimLimit == nil)
            now = now.adding(change.wait!)
        }
        #expect(waits == [100, 200, 400, 800, 1600, 3200, 5000, 5000].map { Duration.milliseconds($0) })
        #expect(scheduler.next(now: now).claimLimit == 12)
        // 8 failures, the first at `start`.
        #expect(scheduler.claimSucceeded([], idle: .seconds(1), now: now) == .ended(failures: 8, lasted: start.duration(to: now)))
        #expect(scheduler.outage.failures == 0)
        #expect(scheduler.next(now: now).waitUntil != nil)
        scheduler.workQueued()
        _ = scheduler.next(now: now)
        #expect(scheduler.claimFailed(now: now) == .began(wait: .milliseconds(100)))
    }

    /// At most an endpoint's limit of requests are in flight to it; the ready queue serves the endpoints in turn,
    /// and a claim skips the endpoints with a round and the claim-ahead waiting.
    @Test func eachEndpointGetsAtMostItsLimitAndTheyTakeTurns() {
        var scheduler = DeliveryScheduler(
            .init(workers: 4, claimAhead: 2, recordingLimit: 8, readyLimit: .seconds(15), endpointLimit: 2),
            handOff: false, now: start
        )
        let ep2 = SchedulerFixture.endpoint(2)
        _ = scheduler.next(now: start)
        let claimed = SchedulerFixture.deliveries(4) + SchedulerFixture.deliveries(2, endpoint: ep2, firstID: 5)
        _ = scheduler.claimSucceeded(claimed, idle: nil, now: start)
        #expect(scheduler.next(now: start).started == [1, 5, 2, 6])
        #expect(scheduler.loads[ep1]?.inFlight == 2)
        #expect(scheduler.ready.waiting(ep1) == 2)
        // Workers are busy; one frees up (endpoint 2's): endpoint 1 is still at its limit, so the free worker
        // claims, skipping endpoint 1 (a round, and as many as are claimed ahead, wait for it).
        #expect(scheduler.responseReceived(endpoint: ep2.id, timedOut: false) == (true, true))
        #expect(scheduler.deliveryFinished(endpoint: ep2.id, responded: true, released: true, handedOver: false, retry: false) == false)
        let action = scheduler.next(now: start)
        #expect(Set(action.excluded ?? []) == [ep1])
        #expect(action.claimLimit == 1 + 2)
        // Endpoint 1's slot frees up: its next delivery starts.
        _ = scheduler.claimSucceeded([], idle: .seconds(1), now: start)
        #expect(scheduler.responseReceived(endpoint: ep1, timedOut: false) == (true, true))
        #expect(scheduler.next(now: start).started == [3])
    }

    /// A claim skips an endpoint with a whole round (its limit) waiting; when fewer wait, as its deliveries start,
    /// it asks for a claim at once, not at the next due time (the skipped endpoint's deliveries are due already).
    @Test func aSkippedEndpointWithLessThanARoundWaitingAsksForAClaim() {
        var scheduler = DeliveryScheduler(
            .init(workers: 4, claimAhead: 2, recordingLimit: 8, readyLimit: .seconds(15), endpointLimit: 2),
            handOff: false, now: start
        )
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(5), idle: nil, now: start)
        #expect(scheduler.next(now: start).started == [1, 2])
        // 3 wait for endpoint 1, a round is 2: the claim skips it.
        let claim = scheduler.next(now: start)
        #expect(claim.excluded == [ep1])
        _ = scheduler.claimSucceeded([], idle: .milliseconds(250), now: start)
        #expect(scheduler.next(now: start).waitUntil == .some(start.adding(.milliseconds(250))))
        // A slot frees: 3 starts, 2 still wait (a round): no claim.
        _ = scheduler.responseReceived(endpoint: ep1, timedOut: false)
        #expect(scheduler.next(now: start).started == [3])
        #expect(scheduler.next(now: start).claimLimit == nil)
        // Another: 4 starts, 1 waits, less than a round: claim now.
        _ = scheduler.responseReceived(endpoint: ep1, timedOut: false)
        #expect(scheduler.next(now: start).started == [4])
        #expect(scheduler.next(now: start).claimLimit != nil)
    }

    /// A claim that skipped endpoints and came back short is not repeated with the same endpoints skipped until
    /// something may have been queued (work, a retry, the timer): it would read past all their due deliveries
    /// again to find nothing.
    @Test func aShortClaimSkippingEndpointsIsNotRepeatedWithoutNewWork() {
        var scheduler = DeliveryScheduler(
            .init(workers: 2, claimAhead: 2, recordingLimit: 8, readyLimit: .seconds(15), endpointLimit: 2),
            handOff: false, now: start
        )
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(4), idle: nil, now: start)
        #expect(scheduler.next(now: start).started == [1, 2])
        // Full claim, so more is wanted; endpoint 1 has a round waiting: the claim skips it and finds nothing.
        #expect(scheduler.next(now: start).excluded == [ep1])
        _ = scheduler.claimSucceeded([], idle: .milliseconds(250), now: start)
        scheduler.claimWanted = true  // as after a claim that brought all it asked for
        #expect(scheduler.next(now: start).claimLimit == nil)
        // New work: claim again, skipping the same endpoint.
        scheduler.workQueued()
        #expect(scheduler.next(now: start).excluded == [ep1])
        _ = scheduler.claimSucceeded([], idle: .milliseconds(250), now: start)
        // The timer: once more.
        #expect(scheduler.next(now: start.adding(.milliseconds(250))).excluded == [ep1])
        _ = scheduler.claimSucceeded([], idle: .milliseconds(250), now: start.adding(.milliseconds(250)))
        // Not repeated; but when endpoint 1 has less than a round waiting, its deliveries are claimed at once.
        scheduler.claimWanted = true
        #expect(scheduler.next(now: start.adding(.milliseconds(250))).claimLimit == nil)
        _ = scheduler.responseReceived(endpoint: ep1, timedOut: false)
        #expect(scheduler.next(now: start.adding(.milliseconds(260))).started == [3])
        #expect(scheduler.next(now: start.adding(.milliseconds(260))).excluded == [])
    }

    /// Work queued while a claim is out is claimed once that claim is back, even when it came back short (its
    /// result says nothing of what was queued meanwhile).
    @Test func workQueuedDuringAClaimIsClaimedAfterIt() {
        var scheduler = scheduler()
        #expect(scheduler.next(now: start).claimLimit == 12)
        scheduler.workQueued()
        #expect(scheduler.next(now: start).waitUntil == .some(nil))  // the claim is still out
        _ = scheduler.claimSucceeded([], idle: .seconds(1), now: start)
        #expect(scheduler.next(now: start).claimLimit == 12)
    }

    /// A slow endpoint's backlog does not keep another endpoint's fresh deliveries waiting: they start on the
    /// workers it may not use.
    @Test func aSlowEndpointLeavesWorkersToTheOthers() {
        var scheduler = DeliveryScheduler(
            .init(workers: 4, claimAhead: 8, recordingLimit: 8, readyLimit: .seconds(15), endpointLimit: 2),
            handOff: true, now: start
        )
        #expect(scheduler.next(now: start).handOffLimit == 2)
        scheduler.handedOff(SchedulerFixture.deliveries(2), asked: 2, now: start)
        #expect(scheduler.next(now: start).started == [1, 2])
        #expect(scheduler.next(now: start).handOffLimit == 1)
        scheduler.handedOff(SchedulerFixture.deliveries(1, firstID: 3), asked: 1, now: start)
        // Endpoint 1 is at its limit: 3 waits, though two workers are free.
        let afterSlow = scheduler.next(now: start)
        #expect(afterSlow.started == nil)
        scheduler.woke()
        let fast = SchedulerFixture.endpoint(2)
        #expect(scheduler.next(now: start).handOffLimit != nil)
        scheduler.handedOff(SchedulerFixture.deliveries(2, endpoint: fast, firstID: 10), asked: 2, now: start)
        #expect(scheduler.next(now: start).started == [10, 11])
        #expect(scheduler.free == 0)
    }

    /// An endpoint's own limit (`maxInFlight`) wins over the server's.
    @Test func anEndpointsOwnLimitWins() {
        var scheduler = DeliveryScheduler(
            .init(workers: 8, claimAhead: 0, recordingLimit: 8, readyLimit: .seconds(15), endpointLimit: 2),
            handOff: false, now: start
        )
        var generous = SchedulerFixture.endpoint(3)
        generous.maxInFlight = 5
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(8, endpoint: generous), idle: nil, now: start)
        #expect(scheduler.next(now: start).started == [1, 2, 3, 4, 5])
        #expect(scheduler.limit(generous.id) == 5)
    }

    /// An endpoint that keeps timing out gets half its slots per timeout in a row, down to one; any response gives
    /// them back.
    @Test func timeoutsInARowHalveTheEndpointsSlots() {
        var scheduler = DeliveryScheduler(
            .init(workers: 16, claimAhead: 0, recordingLimit: 16, readyLimit: .seconds(15), endpointLimit: 8),
            handOff: false, now: start
        )
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(16), idle: nil, now: start)
        #expect(scheduler.next(now: start).started?.count == 8)
        #expect(scheduler.limit(ep1) == 8)
        _ = scheduler.responseReceived(endpoint: ep1, timedOut: true)
        #expect(scheduler.limit(ep1) == 4)
        _ = scheduler.responseReceived(endpoint: ep1, timedOut: true)
        _ = scheduler.responseReceived(endpoint: ep1, timedOut: true)
        _ = scheduler.responseReceived(endpoint: ep1, timedOut: true)
        #expect(scheduler.limit(ep1) == 1)
        // 4 still in flight, limit 1: nothing starts.
        #expect(scheduler.next(now: start).started == nil)
        _ = scheduler.responseReceived(endpoint: ep1, timedOut: false)
        #expect(scheduler.limit(ep1) == 8)
        #expect(scheduler.next(now: start).started?.count == 5)
    }

    /// Shutdown stops the loop: nothing more is claimed or started.
    @Test func shutdownStops() {
        var scheduler = scheduler()
        _ = scheduler.next(now: start)
        _ = scheduler.claimSucceeded(SchedulerFixture.deliveries(6), idle: nil, now: start)
        scheduler.shutdownRequested()
        #expect(scheduler.next(now: start).isStop)
        #expect(scheduler.inFlight == 0)
    }
}
