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

/// What happens to a delivery after an attempt.
public enum DeliveryOutcome: Sendable, Hashable {
    /// The endpoint answered 2xx.
    case succeeded
    /// Try again at this time.
    case retry(at: Timestamp)
    /// No more attempts. `exhausted` when a scheduled delivery used its whole retry schedule (manual attempts are
    /// never retried and do not count towards disabling).
    case failed(exhausted: Bool)
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
public protocol DeliveryQueue: Sendable {
    /// Claims up to `limit` deliveries due at `now` (including ones whose lease ran out), leasing them until
    /// `now + lease`. Deliveries whose endpoint has been disabled or deleted meanwhile are cancelled, not claimed.
    func claimDeliveries(now: Timestamp, limit: Int, lease: Duration) async throws -> [ClaimedDelivery]
    /// Records an attempt and what follows from it, in one transaction.
    func completeDelivery(_ completion: DeliveryCompletion, now: Timestamp) async throws -> CompletionEffects
    /// Records successful attempts (each as ``completeDelivery(_:now:)`` would) in one transaction. The default
    /// records them one by one with ``completeDelivery(_:now:)``.
    func completeSucceededDeliveries(_ completions: [DeliveryCompletion], now: Timestamp) async throws
    /// Whether ``completeSucceededDeliveries(_:now:)`` writes a batch more cheaply than one call per attempt, so
    /// that the delivery engine gathers successes and records them together. `false` by default.
    var recordsSuccessesInBatches: Bool { get }
    /// Puts a claimed delivery back without an attempt (e.g. throttled), due again at `until`.
    func postponeDelivery(id: Int64, until: Timestamp) async throws
    /// Whether ``takeThrottleToken(endpoint:rate:now:)`` keeps its buckets in the database, shared by every
    /// process. When `false` (the default: SQLite, whose file one process uses alone) the delivery engine keeps
    /// the buckets in memory instead.
    var sharesThrottleState: Bool { get }
    /// Whether a call may wait for good, neither answered nor failed (a network database whose driver can lose a
    /// query; see `PostgresStore.withConnection`). The delivery engine then puts a deadline on each call it awaits.
    /// `true` by default; SQLite's calls run on local threads and always end.
    var callsMayStall: Bool { get }
    /// Takes a token from the endpoint's `throttleRate` bucket (`rate` per second, at most `rate` saved up), or
    /// says how long until one is free.
    /// - Returns: `nil` to send now, or the wait.
    func takeThrottleToken(endpoint: EndpointID, rate: Int, now: Timestamp) async throws -> Duration?
    /// Frees every lease. Only for a backend that one process uses alone (SQLite), when it starts.
    func releaseAllLeases(now: Timestamp) async throws -> Int
    /// When the next delivery is due, if any is waiting.
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
    /// Where the store hands fresh deliveries straight to the delivery engine of this process, when it is the
    /// database's only user (see ``DeliveryHandOff``); `nil` (the default) when every delivery is claimed.
    var handOff: DeliveryHandOff? { get }
}

extension DeliveryQueue {
    public var sharesThrottleState: Bool { false }

    public var callsMayStall: Bool { true }

    public var handOff: DeliveryHandOff? { nil }

    public var recordsSuccessesInBatches: Bool { false }

    public func completeSucceededDeliveries(_ completions: [DeliveryCompletion], now: Timestamp) async throws {
        for completion in completions { _ = try await completeDelivery(completion, now: now) }
    }

    /// Without shared buckets every token is granted here; the delivery engine throttles in memory.
    public func takeThrottleToken(endpoint: EndpointID, rate: Int, now: Timestamp) async throws -> Duration? { nil }
}
