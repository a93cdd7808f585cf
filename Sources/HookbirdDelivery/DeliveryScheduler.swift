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

        init(workers: Int, claimAhead: Int, recordingLimit: Int, readyLimit: Duration) {
            self.workers = workers
            self.claimAhead = claimAhead
            self.recordingLimit = recordingLimit
            self.readyLimit = readyLimit
            self.claimBatch = max(1, (workers + claimAhead) / 4)
        }

        init(_ configuration: DeliveryConfiguration) {
            self.init(
                workers: configuration.workers,
                claimAhead: configuration.claimAhead,
                // Measured: 4× rather than 1× drained a backlog ~5 % faster; they wait for group commits.
                recordingLimit: configuration.workers * 4,
                readyLimit: (configuration.lease - configuration.requestTimeout) / 2
            )
        }
    }

    /// What the loop does next.
    enum Action: Sendable {
        /// Start these deliveries, one task each (their workers are counted already).
        case start([ClaimedDelivery])
        /// Take up to `limit` handed-off deliveries and report them with ``handedOff(_:asked:now:)``.
        case takeHandOff(limit: Int)
        /// Claim up to `limit` due deliveries beside the loop; report with ``claimSucceeded(_:idle:now:)`` or
        /// ``claimFailed(now:)``.
        case claim(limit: Int)
        /// Wait until woken, or until `until` when it is set; then report ``woke()``.
        case wait(until: Timestamp?)
        /// Stop: no more claims or starts; let what is in flight finish.
        case stop
    }

    /// A claimed or handed-off delivery waiting for a worker, until `until`.
    struct Ready: Sendable {
        var delivery: ClaimedDelivery
        var until: Timestamp
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
    /// Deliveries dropped from the ready queue because they waited too long (left to their leases).
    var dropped = 0

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

    private let usesHandOff: Bool

    /// Workers free now.
    var free: Int { configuration.workers - inFlight }

    /// Whether anything is in flight or waits to be recorded (shutdown waits for both).
    var busy: Bool { inFlight + recording > 0 }
}

// MARK: - Events

extension DeliveryScheduler {
    /// The store queued work in the table (or a delivery was scheduled for a retry): claim.
    mutating func workQueued() {
        claimRequested = true
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
        ready.append(deliveries.map { Ready(delivery: $0, until: now.adding(configuration.readyLimit)) })
    }

    /// A claim brought `claimed`; `idle` (how long until the next delivery is due) when it brought fewer than it
    /// asked for, so that the loop claims again only when asked or at that time.
    /// - Returns: The end of an outage, to log.
    mutating func claimSucceeded(_ claimed: [ClaimedDelivery], idle: Duration?, now: Timestamp) -> StorageOutage.Change? {
        claiming = false
        let until = claimStartedAt.adding(configuration.readyLimit)
        ready.append(claimed.map { Ready(delivery: $0, until: until) })
        if let idle {
            claimWanted = false
            nextClaim = now.adding(idle)
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

    /// A worker's response is in. Its worker is freed for the next delivery while the attempt waits for its record,
    /// unless `recordingLimit` attempts already wait.
    /// - Returns: Whether the worker was freed (the loop should then be woken).
    mutating func responseReceived() -> Bool {
        guard recording < configuration.recordingLimit else { return false }
        recording += 1
        inFlight -= 1
        return true
    }

    /// A delivery's task ends.
    /// - Parameters:
    ///   - released: Its worker was freed when its response came in (``responseReceived()``).
    ///   - handedOver: Its success was left to the success recorder, which reports ``successesRecorded(_:)``.
    ///   - retry: A retry was scheduled in the table.
    /// - Returns: Whether the loop should be woken.
    mutating func deliveryFinished(released: Bool, handedOver: Bool, retry: Bool) -> Bool {
        if handedOver { return false }
        if released { recording -= 1 } else { inFlight -= 1 }
        // A retry is queued in the table: look for due work again. Otherwise a worker is free.
        if retry { claimRequested = true }
        return retry || !released
    }

    /// The success recorder wrote `count` attempts.
    mutating func successesRecorded(_ count: Int) {
        recording -= count
    }
}
