//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// The record of an endpoint that has only been failing: since its first failed attempt, and how many messages
/// exhausted their retries meanwhile. Any successful delivery clears it.
public struct FailureRecord: Sendable, Hashable {
    public var firstFailureAt: Timestamp
    public var exhaustedMessages: Int

    public init(firstFailureAt: Timestamp, exhaustedMessages: Int) {
        self.firstFailureAt = firstFailureAt
        self.exhaustedMessages = exhaustedMessages
    }
}

/// The rule that disables failing endpoints.
///
/// An endpoint is disabled when its deliveries have done nothing but fail for `disableAfter` (Svix: 5 days) and at
/// least two messages have exhausted their retries in that time. A 410 Gone disables it at once.
public struct DisablePolicy: Sendable, Hashable {
    public var disableAfter: Duration

    public init(disableAfter: Duration = .seconds(5 * 86_400)) { self.disableAfter = disableAfter }

    /// Whether an endpoint with this record is to be disabled at `now`.
    public func shouldDisable(_ record: FailureRecord, now: Timestamp) -> Bool {
        let failingFor = now.microseconds - record.firstFailureAt.microseconds
        return record.exhaustedMessages >= 2 && failingFor >= disableAfter.components.seconds * 1_000_000
    }
}
