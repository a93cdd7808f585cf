//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage

/// The delivery engine's decisions, as a state machine: events in (a claim finished or failed, a response came in, a
/// delivery finished, successes were recorded, deliveries were handed off, work was queued, the loop woke, shutdown
/// was asked for), actions out (``next(now:)``: start these deliveries, take hand-offs, claim up to n, wait until a
/// time or a wake, stop). It does no I/O and has no clock of its own: every event that needs the time is given it.
/// `DeliveryService.run` carries the actions out; workers report their events under the same lock.
///
/// What it decides:
/// - At most `workers` requests are in flight. A worker is free again once its response is in, while its attempt
///   waits to be recorded, unless `recordingLimit` attempts already wait for theirs.
/// - Claims are write transactions, so it claims only when asked (work was queued, a retry was scheduled), when its
///   last claim brought all it asked for, or when the next due delivery's time has come; under load it waits until
///   a claim can bring a quarter of the most it may bring (``Configuration/claimBatch``).
/// - A claim may bring up to `claimAhead` deliveries more than there are free workers: they wait in the ready queue,
///   so that a worker that frees up starts at once. One that waited past its ready limit (its lease might run out
///   before its attempt is recorded) is dropped: it is left to its lease and claimed again later.
/// - Deliveries handed off by the store go next; while the table has due work too, they get half the free workers.
/// - At most an endpoint's limit of requests are in flight to it (``InFlightLimit``: its own `maxInFlight` or the
///   server's, halved per timeout in a row): its other deliveries wait, and the ready queue serves the endpoints in
///   turn, so one slow endpoint cannot hold every worker. A claim skips the endpoints that have no room left; what
///   waited too long for its endpoint is given back to the table (``Action/release(_:)``), not left to its lease.
/// - After a failed claim it backs off (``StorageOutage``) even when work is queued; the request stays for later.
struct DeliveryScheduler: Sendable {
    struct Configuration: Sendable {
        /// Requests in flight at most.
        var workers: Int
        /// Claimed deliveries that may wait for a worker beyond the free workers.
        var claimAhead: Int
        /// Attempts that may wait for their record having given their worker back.
        var recordingLimit: Int
        /// How long a claimed delivery may wait for a worker (half the lease's margin over the request timeout).
        var readyLimit: Duration
        /// Under load, the least a claim must be able to bring.
        var claimBatch: Int
        /// Requests in flight to one endpoint at most, unless it sets its own.
        var endpointLimit: Int

        init(
            workers: Int,
            claimAhead: Int,
            recordingLimit: Int,
            readyLimit: Duration,
            endpointLimit: Int = InFlightLimit.defaultLimit
        ) {
            self.workers = workers
            self.claimAhead = claimAhead
            self.recordingLimit = recordingLimit
            self.readyLimit = readyLimit
            self.claimBatch = max(1, (workers + claimAhead) / 4)
            self.endpointLimit = endpointLimit
        }

        init(_ configuration: DeliveryConfiguration) {
            self.init(
                workers: configuration.workers,
                claimAhead: configuration.claimAhead,
                // Measured: 4× rather than 1× drained a backlog ~5 % faster; they wait for group commits.
                recordingLimit: configuration.workers * 4,
                readyLimit: (configuration.lease - configuration.requestTimeout) / 2,
                endpointLimit: configuration.endpointMaxInFlight
            )
        }
    }

    /// What the loop does next.
    enum Action: Sendable {
        /// Start these deliveries, one task each (their workers are counted already); `waited`: how long each
        /// waited in this engine for a worker and a slot of its endpoint.
        case start([ClaimedDelivery], waited: [Duration])
        /// Take up to `limit` handed-off deliveries and report them with ``handedOff(_:asked:now:)``.
        case takeHandOff(limit: Int)
        /// Claim up to `limit` due deliveries beside the loop, none to the endpoints `excluding` (no room left);
        /// report with ``claimSucceeded(_:idle:now:)`` or ``claimFailed(now:)``.
        case claim(limit: Int, excluding: [EndpointID])
        /// Give these leased deliveries back to the table, due now (they waited too long for a worker).
        case release([Int64])
        /// Wait until woken, or until `until` when it is set; then report ``woke()``.
        case wait(until: Timestamp?)
        /// Stop: no more claims or starts; let what is in flight finish.
        case stop
    }

    /// One endpoint's requests in flight from this engine, its timeouts in a row, and its own limit.
    struct EndpointLoad: Sendable {
        var inFlight = 0
        var timeouts = 0
        var maxInFlight: Int?
    }

    /// A claimed or handed-off delivery waiting for a worker, until `until`.
    struct Ready: Sendable {
        var delivery: ClaimedDelivery
        var until: Timestamp
        /// When it was claimed or handed off.
        var since: Timestamp
    }

    let configuration: Configuration
    // The state below is changed only by the events and `next(now:)` (in DeliveryScheduler+Next.swift).
    /// Workers in use: deliveries whose request is in flight (or whose attempt is being recorded, see `recording`).
    var inFlight = 0
    /// Attempts made whose record is being written, having given their worker back.
    var recording = 0
    var claiming = false
    var stopping = false
    /// Whether the table may hold due deliveries that a claim would bring now.
    var claimWanted = true
    /// Work was queued (or a retry scheduled) since the last claim was wanted; kept through an outage's backoff.
    var claimRequested = false
    /// When to claim without being asked: the next due delivery, or the end of an outage's backoff.
    var nextClaim: Timestamp
    var claimStartedAt: Timestamp
    var outage = StorageOutage()
    var ready = ReadyQueue()
    /// Whether the store may have handed off deliveries that were not taken yet.
    var handOffMayHaveWork: Bool
    /// Deliveries dropped from the ready queue because they waited too long.
    var dropped = 0
    /// Dropped deliveries not yet given back to the table.
    var toRelease: [Int64] = []
    /// The endpoints with requests in flight, deliveries waiting, or timeouts in a row.
    var loads: [EndpointID: EndpointLoad] = [:]
    /// The endpoints claims skipped (``ClaimSkips``).
    var skips = ClaimSkips()

    /// - Parameters:
    ///   - handOff: Whether the store hands fresh deliveries to this engine.
    ///   - now: When the engine starts: it claims at once.
    init(_ configuration: Configuration, handOff: Bool, now: Timestamp) {
        self.configuration = configuration
        self.nextClaim = now
        self.claimStartedAt = now
        self.handOffMayHaveWork = handOff
        self.usesHandOff = handOff
    }

    let usesHandOff: Bool

    /// Workers free now.
    var free: Int { configuration.workers - inFlight }

    /// Whether anything is in flight or waits to be recorded (shutdown waits for both).
    var busy: Bool { inFlight + recording > 0 }

    /// The requests `endpoint` may have in flight now.
    func limit(_ endpoint: EndpointID) -> Int {
        let load = loads[endpoint]
        return InFlightLimit.slots(
            limit: load?.maxInFlight ?? configuration.endpointLimit,
            consecutiveTimeouts: load?.timeouts ?? 0
        )
    }

    /// How many more requests `endpoint` may have in flight now.
    func room(_ endpoint: EndpointID) -> Int { limit(endpoint) - (loads[endpoint]?.inFlight ?? 0) }

    /// Queues deliveries for workers, noting their endpoints' limits.
    mutating func enqueue(_ deliveries: [ClaimedDelivery], since: Timestamp, until: Timestamp) {
        for delivery in deliveries {
            loads[delivery.endpoint.id, default: EndpointLoad()].maxInFlight = delivery.endpoint.maxInFlight
        }
        ready.append(
            deliveries.map { delivery in
                // A handed-off delivery's lease began when the store handed it over, not when the loop took it: the
                // time it waited in the hand-off counts (else it could start after its lease ran out and a claim
                // took it too, and be sent twice).
                let handedOff = delivery.handedOffAt.map { min($0, since) }
                let until = handedOff.map { min(until, $0.adding(configuration.readyLimit)) } ?? until
                return Ready(delivery: delivery, until: until, since: handedOff ?? since)
            }
        )
    }

    /// A request to `endpoint` is over.
    mutating func endpointFreed(_ endpoint: EndpointID, timedOut: Bool?) {
        guard var load = loads[endpoint] else { return }
        load.inFlight -= 1
        if let timedOut { load.timeouts = timedOut ? load.timeouts + 1 : 0 }
        loads[endpoint] = load
        forgetIfIdle(endpoint)
    }

    mutating func forgetIfIdle(_ endpoint: EndpointID) {
        if let load = loads[endpoint], load.inFlight == 0, load.timeouts == 0, ready.waiting(endpoint) == 0 {
            loads[endpoint] = nil
        }
    }

    /// The endpoint's load, for the API's stats and the dashboard.
    func snapshot(_ endpoint: EndpointID) -> EndpointLoadSnapshot {
        EndpointLoadSnapshot(
            inFlight: loads[endpoint]?.inFlight ?? 0,
            limit: limit(endpoint),
            timeoutsInARow: loads[endpoint]?.timeouts ?? 0,
            waiting: ready.waiting(endpoint)
        )
    }

    /// The endpoints a claim skips: those with a whole round (their limit), and at least as many as the engine
    /// claims ahead, waiting already. Waiting deliveries keep an endpoint's slots busy without a claim between two
    /// requests (one fast endpoint's backlog drains as fast as before the limit); more would only wait longer.
    /// Waiting deliveries of an endpoint at its limit take no claim's room, so they never keep another endpoint's
    /// deliveries in the table.
    var saturatedEndpoints: [EndpointID] {
        loads.keys.filter { ready.waiting($0) >= roundAhead($0) }
    }

    /// How many of an endpoint's deliveries may wait before claims skip it.
    func roundAhead(_ endpoint: EndpointID) -> Int { max(limit(endpoint), configuration.claimAhead) }

    /// After deliveries left the ready queue: a skipped endpoint with less than a round waiting asks for a claim.
    mutating func claimForSkippedEndpoints(_ started: [ClaimedDelivery]) {
        for delivery in started {
            let endpoint = delivery.endpoint.id
            if skips.started(endpoint, waiting: ready.waiting(endpoint), round: roundAhead(endpoint)) {
                claimRequested = true
            }
        }
    }
}
