//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

/// A delivery a worker has claimed: one message for one endpoint, leased to the worker until it reports back.
public struct ClaimedDelivery: Sendable {
    public var id: Int64
    public var message: Message
    public var endpoint: Endpoint
    /// Attempts made before this one.
    public var attemptCount: Int
    public var trigger: AttemptTrigger

    public init(id: Int64, message: Message, endpoint: Endpoint, attemptCount: Int, trigger: AttemptTrigger) {
        self.id = id
        self.message = message
        self.endpoint = endpoint
        self.attemptCount = attemptCount
        self.trigger = trigger
    }
}

/// Where one message's delivery to one endpoint stands, for display.
public struct DeliveryState: Sendable, Hashable {
    public var endpointID: EndpointID
    public var status: MessageStatus
    public var trigger: AttemptTrigger
    /// Attempts made so far.
    public var attemptCount: Int
    /// When the next attempt is due, while the delivery is pending or in flight.
    public var nextAttemptAt: Timestamp?

    public init(
        endpointID: EndpointID,
        status: MessageStatus,
        trigger: AttemptTrigger,
        attemptCount: Int,
        nextAttemptAt: Timestamp?
    ) {
        self.endpointID = endpointID
        self.status = status
        self.trigger = trigger
        self.attemptCount = attemptCount
        self.nextAttemptAt = nextAttemptAt
    }
}

/// The report of one attempt.
public struct DeliveryCompletion: Sendable {
    public var deliveryID: Int64
    public var attempt: MessageAttempt
    public var outcome: DeliveryOutcome
    /// The endpoint answered 410 Gone: disable it now.
    public var gone: Bool
    public var disablePolicy: DisablePolicy

    public init(
        deliveryID: Int64,
        attempt: MessageAttempt,
        outcome: DeliveryOutcome,
        gone: Bool,
        disablePolicy: DisablePolicy
    ) {
        self.deliveryID = deliveryID
        self.attempt = attempt
        self.outcome = outcome
        self.gone = gone
        self.disablePolicy = disablePolicy
    }
}

/// What recording an attempt changed beyond the delivery itself.
public struct CompletionEffects: Sendable, Hashable {
    /// The endpoint was disabled by this attempt (410, or failing for too long); since when it has failed.
    public var disabledEndpoint: Bool
    public var failingSince: Timestamp?

    public init(disabledEndpoint: Bool = false, failingSince: Timestamp? = nil) {
        self.disabledEndpoint = disabledEndpoint
        self.failingSince = failingSince
    }
}

/// The size of the backlog, for metrics.
public struct QueueStatistics: Sendable, Hashable {
    /// Deliveries waiting or in flight.
    public var depth: Int
    /// The earliest due time among waiting deliveries.
    public var oldestDue: Timestamp?

    public init(depth: Int, oldestDue: Timestamp?) {
        self.depth = depth
        self.oldestDue = oldestDue
    }
}

/// The delivery queue. It is a table in the same database as the messages, so a message and its deliveries are
/// written in one transaction, and every change of a delivery's state is persisted.
///
/// How the delivery engine uses it is chosen by whoever builds the engine (`DeliveryConfiguration`), not asked of
/// the queue: whether calls get a deadline, whether leases are freed at start, where throttle buckets live.
public protocol DeliveryQueue: Sendable {
    /// Claims up to `limit` deliveries due at `now` (including ones whose lease ran out), oldest due first, none to
    /// the endpoints `excluding` (the engine has no room for more of theirs), leasing them until `now + lease`.
    /// Deliveries whose endpoint has been disabled or deleted meanwhile are cancelled, not claimed.
    func claimDeliveries(now: Timestamp, limit: Int, lease: Duration, excluding: [EndpointID]) async throws
        -> [ClaimedDelivery]
    /// Records an attempt and what follows from it (``DeliveryTransition``), in one transaction.
    func completeDelivery(_ completion: DeliveryCompletion, now: Timestamp) async throws -> CompletionEffects
    /// Records successful attempts (each as ``completeDelivery(_:now:)`` would) together, in one transaction, so
    /// that a busy engine writes a batch of successes at once.
    func completeSucceededDeliveries(_ completions: [DeliveryCompletion], now: Timestamp) async throws
    /// Puts a claimed delivery back without an attempt (e.g. throttled), due again at `until`.
    func postponeDelivery(id: Int64, until: Timestamp) async throws
    /// Puts claimed deliveries back without an attempt, due now (they waited too long for a worker).
    func releaseDeliveries(_ ids: [Int64], now: Timestamp) async throws
    /// Frees every lease that runs out by `time` (inclusive), making its delivery due now. At start, a process that uses the
    /// database alone (SQLite) frees every lease (`.distantFuture`: they are all its own, from before the restart);
    /// a node among several frees only those that ran out (`now`).
    /// - Returns: How many were freed.
    func releaseLeases(expiringBy time: Timestamp, now: Timestamp) async throws -> Int
    /// When the next delivery this process may claim is due, if any is waiting.
    func nextDueTime() async throws -> Timestamp?
    func queueStatistics(now: Timestamp) async throws -> QueueStatistics
    /// Queues one manual attempt of a message to an endpoint (resend); never retried.
    func enqueueManualDelivery(message: Message, endpoint: Endpoint, now: Timestamp) async throws
    /// Queues a manual attempt for every message created in `[since, until)` whose delivery to the endpoint failed
    /// or was cancelled and never succeeded. Returns how many.
    func recoverFailedDeliveries(endpoint: Endpoint, since: Timestamp, until: Timestamp, now: Timestamp) async throws
        -> Int
    /// Queues a manual attempt for every message of the endpoint's application created in `[since, until)` that
    /// was never queued for the endpoint at all (sent while it was disabled, or filtered out). Returns how many.
    func replayMissingDeliveries(endpoint: Endpoint, since: Timestamp, until: Timestamp, now: Timestamp) async throws
        -> Int
    /// The deliveries of a message (scheduled and manual ones), oldest first.
    func deliveries(message: MessageID) async throws -> [DeliveryState]
    /// Makes every delivery to the endpoint that waits for a later retry due at `now` (e.g. when a listener
    /// reconnects, what waited for it goes at once) and wakes the workers. Returns how many.
    func expediteDeliveries(endpoint: EndpointID, now: Timestamp) async throws -> Int
    /// Signalled whenever new work is queued, so idle workers start at once.
    var workSignal: WorkSignal { get }
}

/// Token buckets for endpoints' `throttleRate` kept in the database, so that every node sharing it keeps to one
/// rate together (PostgreSQL). A process that uses its database alone throttles in memory instead.
public protocol SharedThrottle: Sendable {
    /// Takes a token from the endpoint's bucket (`rate` per second, at most `rate` saved up), or says how long until
    /// one is free.
    /// - Returns: `nil` to send now, or the wait.
    func takeThrottleToken(endpoint: EndpointID, rate: Int, now: Timestamp) async throws -> Duration?
}

extension DeliveryQueue {
    /// Claims up to `limit` due deliveries to any endpoint; see ``claimDeliveries(now:limit:lease:excluding:)``.
    public func claimDeliveries(now: Timestamp, limit: Int, lease: Duration) async throws -> [ClaimedDelivery] {
        try await claimDeliveries(now: now, limit: limit, lease: lease, excluding: [])
    }
}
