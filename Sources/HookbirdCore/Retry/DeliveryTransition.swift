//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

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

/// What a finished attempt changes, decided once for every backend: the delivery's next status and due time, the
/// endpoint's failure record, whether the endpoint is disabled (and what still waits for it cancelled), and which
/// operational webhooks fire. Backends only persist it.
///
/// ```swift
/// let transition = DeliveryTransition(outcome: .failed(exhausted: true), gone: false)
/// // status .fail; the failure record counts one more exhausted message; after the record is updated:
/// transition.disablesEndpoint(record: updated, policy: policy, now: now)
/// ```
public struct DeliveryTransition: Sendable, Hashable {
    /// How the endpoint's failure record changes.
    public enum FailureRecordChange: Sendable, Hashable {
        /// A success: the endpoint is not failing any more; its record goes.
        case clear
        /// A failure: the record starts now unless the endpoint is failing already; `countsExhausted` when a
        /// scheduled delivery used its whole retry schedule, which counts towards disabling the endpoint.
        case fail(countsExhausted: Bool)
    }

    /// The delivery's status after the attempt: `success`, `pending` (due again at ``nextAttemptAt``) or `fail`.
    public let status: MessageStatus
    /// When the next attempt is due, for a retry.
    public let nextAttemptAt: Timestamp?
    public let failureRecord: FailureRecordChange
    /// The endpoint answered 410 Gone: it is disabled now, whatever its record says.
    public let disablesEndpointAtOnce: Bool

    /// - Parameters:
    ///   - outcome: What the engine decided for the delivery (from the response and the retry policy).
    ///   - gone: The endpoint answered 410.
    public init(outcome: DeliveryOutcome, gone: Bool) {
        switch outcome {
        case .succeeded:
            status = .success
            nextAttemptAt = nil
            failureRecord = .clear
        case .retry(let at):
            status = .pending
            nextAttemptAt = at
            failureRecord = .fail(countsExhausted: false)
        case .failed(let exhausted):
            status = .fail
            nextAttemptAt = nil
            failureRecord = .fail(countsExhausted: exhausted)
        }
        disablesEndpointAtOnce = gone
    }

    /// Whether the endpoint is to be disabled after this attempt.
    /// - Parameters:
    ///   - record: The endpoint's failure record as this attempt left it (`nil` when it has none, or when this
    ///     attempt did not count an exhausted message, which alone can tip the policy).
    ///   - policy: The rule that disables failing endpoints.
    ///   - now: The time of the decision.
    public func disablesEndpoint(record: FailureRecord?, policy: DisablePolicy, now: Timestamp) -> Bool {
        if disablesEndpointAtOnce { return true }
        guard case .fail(countsExhausted: true) = failureRecord, let record else { return false }
        return policy.shouldDisable(record, now: now)
    }

    /// The operational webhooks about the attempt (`endpoint.disabled` follows from disabling, see
    /// ``disablesEndpoint(record:policy:now:)``).
    /// - Parameters:
    ///   - outcome: The attempt's outcome.
    ///   - trigger: Whether the delivery was scheduled or manual.
    ///   - attempts: Attempts made so far, this one included.
    public static func operationalEvents(outcome: DeliveryOutcome, trigger: AttemptTrigger, attempts: Int) -> [String] {
        switch outcome {
        case .succeeded where trigger == .scheduled && attempts >= 5: ["message.attempt.recovered"]
        case .retry where attempts == 4: ["message.attempt.failing"]
        case .failed(exhausted: true): ["message.attempt.exhausted"]
        default: []
        }
    }
}
