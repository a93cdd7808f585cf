//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdTesting
import Testing

@Suite struct RetryPolicyTests {
    @Test func defaultScheduleIsSvixs() {
        let policy = RetryPolicy()
        #expect(policy.maxAttempts == 8)
        #expect(policy.schedule == [5, 300, 1800, 7200, 18_000, 36_000, 36_000].map { Duration.seconds($0) })
    }

    @Test func delaysStayWithinTwentyPercentAndEnd() {
        let policy = RetryPolicy()
        var generator = SeededGenerator(seed: 42)
        for attempts in 1...7 {
            let base = policy.schedule[attempts - 1]
            for _ in 0..<200 {
                let delay = try! #require(policy.delay(afterAttempts: attempts, using: &generator))
                #expect(delay >= base * 0.8 && delay <= base * 1.2)
            }
        }
        #expect(policy.delay(afterAttempts: 8, using: &generator) == nil)
        #expect(policy.delay(afterAttempts: 0, using: &generator) == nil)
    }

    @Test func jitterIsSpreadNotConstant() {
        let policy = RetryPolicy()
        var generator = SeededGenerator(seed: 7)
        let delays = Set((0..<50).map { _ in policy.delay(afterAttempts: 2, using: &generator)! })
        #expect(delays.count > 40)
    }

    @Test func retryAfterIsClampedToOneOrTwoTimesTheScheduledDelay() {
        let policy = RetryPolicy(jitter: 0)
        var generator = SeededGenerator(seed: 1)
        // Base after the first attempt: 5 s.
        #expect(policy.delay(afterAttempts: 1, failure: .init(retryAfter: .seconds(1)), using: &generator) == .seconds(5))
        #expect(policy.delay(afterAttempts: 1, failure: .init(retryAfter: .seconds(7)), using: &generator) == .seconds(7))
        #expect(policy.delay(afterAttempts: 1, failure: .init(retryAfter: .seconds(100)), using: &generator) == .seconds(10))
    }

    @Test func overloadWaitsAtLeastTheOverloadDelay() {
        let policy = RetryPolicy(jitter: 0.2, overloadDelay: .seconds(60))
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<100 {
            #expect(policy.delay(afterAttempts: 1, failure: .init(overloaded: true), using: &generator)! >= .seconds(60))
        }
        // A scheduled delay longer than the overload delay still applies in full.
        #expect(policy.delay(afterAttempts: 3, failure: .init(overloaded: true), using: &generator)! >= .seconds(1800))
    }

    @Test func parsesSchedulesAndDurations() {
        #expect(RetryPolicy.parseSchedule("1s,2s,4s,8s") == [1, 2, 4, 8].map { Duration.seconds($0) })
        #expect(RetryPolicy.parseSchedule("5s, 5m,30m,2h,5h,10h,10h") == RetryPolicy.defaultSchedule)
        #expect(RetryPolicy.parseSchedule("200ms,1.5") == [.milliseconds(200), .milliseconds(1500)])
        #expect(RetryPolicy.parseSchedule("") == nil)
        #expect(RetryPolicy.parseSchedule("5x") == nil)
        #expect(RetryPolicy.parseSchedule("-1s") == nil)
        #expect(RetryPolicy.parseDuration("5d") == .seconds(432_000))
    }

    @Test func parsesRetryAfterSecondsAndDates() {
        let now = Timestamp(iso8601: "2015-10-21T07:28:00Z")!
        #expect(RetryPolicy.parseRetryAfter("120", now: now) == .seconds(120))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:30:00 GMT", now: now) == .seconds(120))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now: now) == .zero)
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
    }
}

@Suite struct DisablePolicyTests {
    let start = Timestamp(iso8601: "2026-01-01T00:00:00Z")!

    @Test func oneExhaustedMessageNeverDisables() {
        let policy = DisablePolicy()
        let record = FailureRecord(firstFailureAt: start, exhaustedMessages: 1)
        #expect(!policy.shouldDisable(record, now: start.adding(seconds: 30 * 86_400)))
    }

    @Test func twoExhaustedMessagesDisableOnlyAfterTheWholePeriod() {
        let policy = DisablePolicy(disableAfter: .seconds(5 * 86_400))
        let record = FailureRecord(firstFailureAt: start, exhaustedMessages: 2)
        #expect(!policy.shouldDisable(record, now: start.adding(seconds: 5 * 86_400 - 1)))
        #expect(policy.shouldDisable(record, now: start.adding(seconds: 5 * 86_400)))
    }
}

@Suite struct EgressPolicyTests {
    @Test(arguments: [
        "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
        "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
    ])
    func blocksInternalAddresses(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(EgressPolicy().refusal(for: address) != nil)
    }

    @Test(arguments: ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])
    func allowsPublicAddresses(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(EgressPolicy().refusal(for: address) == nil)
    }

    @Test func allowListOpensARangeAndItsMappedForm() throws {
        let policy = EgressPolicy(allow: [IPRange("127.0.0.0/8")!])
        #expect(policy.refusal(for: IPAddress("127.0.0.1")!) == nil)
        #expect(policy.refusal(for: IPAddress("::ffff:127.0.0.1")!) == nil)
        #expect(policy.refusal(for: IPAddress("10.0.0.1")!) != nil)
        #expect(policy.refusal(for: IPAddress("::1")!) != nil)
    }

    @Test func reasonNamesTheKindAndTheWayOut() {
        let reason = EgressPolicy().refusal(for: IPAddress("169.254.169.254")!)
        #expect(reason?.contains("link-local") == true)
        #expect(reason?.contains("--egress-allow") == true)
    }

    @Test func parsesAddressesAndRanges() {
        #expect(IPAddress("1.2.3") == nil)
        #expect(IPAddress("256.1.1.1") == nil)
        #expect(IPAddress("1::2::3") == nil)
        #expect(IPAddress("[::1]")?.bytes == [UInt8](repeating: 0, count: 15) + [1])
        #expect(IPRange("10.0.0.0/33") == nil)
        #expect(IPRange("fe80::/10")!.contains(IPAddress("febf::1")!))
        #expect(!IPRange("fe80::/10")!.contains(IPAddress("fec0::1")!))
        #expect(IPRange("172.16.0.0/12")!.contains(IPAddress("172.20.1.1")!))
    }
}
