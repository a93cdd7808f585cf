//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@Suite struct DeliveryTransitionTests {
    static let now = Timestamp(unixSeconds: 1_800_000_000)
    static let policy = DisablePolicy(disableAfter: .seconds(5 * 86_400))

    @Test func aSuccessFinishesTheDeliveryAndClearsTheFailureRecord() {
        let transition = DeliveryTransition(outcome: .succeeded, gone: false)
        #expect(transition.status == .success)
        #expect(transition.nextAttemptAt == nil)
        #expect(transition.failureRecord == .clear)
        #expect(!transition.disablesEndpoint(record: nil, policy: Self.policy, now: Self.now))
    }

    @Test func aRetryIsPendingUntilItsTimeAndStartsAFailureRecord() {
        let at = Self.now.adding(seconds: 300)
        let transition = DeliveryTransition(outcome: .retry(at: at), gone: false)
        #expect(transition.status == .pending)
        #expect(transition.nextAttemptAt == at)
        #expect(transition.failureRecord == .fail(countsExhausted: false))
        // A retry never disables, whatever the record says: only exhausted messages count.
        let old = FailureRecord(firstFailureAt: Self.now.adding(seconds: -10 * 86_400), exhaustedMessages: 9)
        #expect(!transition.disablesEndpoint(record: old, policy: Self.policy, now: Self.now))
    }

    @Test func anExhaustedDeliveryCountsTowardsDisabling() {
        let transition = DeliveryTransition(outcome: .failed(exhausted: true), gone: false)
        #expect(transition.status == .fail)
        #expect(transition.nextAttemptAt == nil)
        #expect(transition.failureRecord == .fail(countsExhausted: true))
        let fiveDays = FailureRecord(firstFailureAt: Self.now.adding(seconds: -5 * 86_400), exhaustedMessages: 2)
        #expect(transition.disablesEndpoint(record: fiveDays, policy: Self.policy, now: Self.now))
        // Failing long enough but with one exhausted message, or two but not long enough: kept.
        let one = FailureRecord(firstFailureAt: Self.now.adding(seconds: -6 * 86_400), exhaustedMessages: 1)
        #expect(!transition.disablesEndpoint(record: one, policy: Self.policy, now: Self.now))
        let recent = FailureRecord(firstFailureAt: Self.now.adding(seconds: -4 * 86_400), exhaustedMessages: 3)
        #expect(!transition.disablesEndpoint(record: recent, policy: Self.policy, now: Self.now))
        #expect(!transition.disablesEndpoint(record: nil, policy: Self.policy, now: Self.now))
    }

    @Test func aManualFailureNeitherRetriesNorCounts() {
        let transition = DeliveryTransition(outcome: .failed(exhausted: false), gone: false)
        #expect(transition.status == .fail)
        #expect(transition.failureRecord == .fail(countsExhausted: false))
        let old = FailureRecord(firstFailureAt: Self.now.adding(seconds: -10 * 86_400), exhaustedMessages: 9)
        #expect(!transition.disablesEndpoint(record: old, policy: Self.policy, now: Self.now))
    }

    @Test func goneDisablesAtOnce() {
        let transition = DeliveryTransition(outcome: .failed(exhausted: false), gone: true)
        #expect(transition.status == .fail)
        #expect(transition.disablesEndpointAtOnce)
        #expect(transition.disablesEndpoint(record: nil, policy: Self.policy, now: Self.now))
    }

    @Test(arguments: [
        (DeliveryOutcome.succeeded, AttemptTrigger.scheduled, 5, ["message.attempt.recovered"]),
        (.succeeded, .scheduled, 4, []),
        (.succeeded, .manual, 6, []),
        (.retry(at: Timestamp(unixSeconds: 1)), .scheduled, 4, ["message.attempt.failing"]),
        (.retry(at: Timestamp(unixSeconds: 1)), .scheduled, 3, []),
        (.failed(exhausted: true), .scheduled, 8, ["message.attempt.exhausted"]),
        (.failed(exhausted: false), .manual, 1, []),
    ])
    func operationalWebhooks(_ outcome: DeliveryOutcome, _ trigger: AttemptTrigger, _ attempts: Int, _ events: [String]) {
        #expect(DeliveryTransition.operationalEvents(outcome: outcome, trigger: trigger, attempts: attempts) == events)
    }
}
