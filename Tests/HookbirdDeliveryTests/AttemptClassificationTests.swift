//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

@testable import HookbirdDelivery
import HookbirdCore
import HookbirdTesting
import Testing

@Suite struct AttemptClassificationTests {
    let now = Timestamp(iso8601: "2026-03-01T00:00:00Z")!
    let policy = RetryPolicy(schedule: [.seconds(10), .seconds(100)], jitter: 0, overloadDelay: .seconds(60))

    func outcome(_ result: TransportResult, trigger: AttemptTrigger = .scheduled, attempts: Int = 1) -> DeliveryOutcome {
        var generator = SeededGenerator(seed: 1)
        return AttemptClassification(result, now: now)
            .outcome(trigger: trigger, attempts: attempts, policy: policy, now: now, using: &generator)
    }

    @Test func twoHundredsSucceed() {
        for status in [200, 201, 204, 299] {
            let classification = AttemptClassification(.response(status: status, retryAfter: nil, body: []), now: now)
            #expect(classification.succeeded)
            #expect(classification.resultLabel == "success")
            #expect(classification.statusCode == status)
            #expect(outcome(.response(status: status, retryAfter: nil, body: [])) == .succeeded)
        }
    }

    /// Anything but 2xx fails, redirects included; the label names the class.
    @Test func otherStatusesFailAndRetryOnTheSchedule() {
        for (status, label) in [(301, "http_3xx"), (400, "http_4xx"), (500, "http_5xx"), (503, "http_5xx")] {
            let classification = AttemptClassification(.response(status: status, retryAfter: nil, body: []), now: now)
            #expect(!classification.succeeded)
            #expect(classification.resultLabel == label)
            #expect(!classification.timedOut)
            #expect(outcome(.response(status: status, retryAfter: nil, body: [])) == .retry(at: now.adding(.seconds(10))))
        }
        #expect(outcome(.response(status: 500, retryAfter: nil, body: []), attempts: 2) == .retry(at: now.adding(.seconds(100))))
        #expect(outcome(.response(status: 500, retryAfter: nil, body: []), attempts: 3) == .failed(exhausted: true))
    }

    /// 410 ends the delivery (and disables the endpoint) without counting as exhausted.
    @Test func goneEndsTheDelivery() {
        let classification = AttemptClassification(.response(status: 410, retryAfter: nil, body: []), now: now)
        #expect(classification.gone)
        #expect(outcome(.response(status: 410, retryAfter: nil, body: [])) == .failed(exhausted: false))
    }

    /// 429 and timeouts are overload: the next attempt waits at least the overload delay; a timeout says so.
    @Test func overloadWaitsLonger() {
        let tooMany = AttemptClassification(.response(status: 429, retryAfter: nil, body: []), now: now)
        #expect(tooMany.failure.overloaded)
        #expect(outcome(.response(status: 429, retryAfter: nil, body: [])) == .retry(at: now.adding(.seconds(60))))
        let timeout = AttemptClassification(.timeout("no answer in 30 s"), now: now)
        #expect(timeout.timedOut)
        #expect(timeout.failure.overloaded)
        #expect(timeout.resultLabel == "timeout")
        #expect(timeout.responseText == "no answer in 30 s")
        #expect(timeout.statusCode == 0)
        #expect(outcome(.timeout("slow")) == .retry(at: now.adding(.seconds(60))))
    }

    /// `Retry-After` is read at the attempt's time and clamped by the policy to [base, 2 × base].
    @Test func retryAfterIsRead() {
        let classification = AttemptClassification(.response(status: 503, retryAfter: "15", body: []), now: now)
        #expect(classification.failure.retryAfter == .seconds(15))
        #expect(outcome(.response(status: 503, retryAfter: "15", body: [])) == .retry(at: now.adding(.seconds(15))))
        #expect(outcome(.response(status: 503, retryAfter: "9999", body: [])) == .retry(at: now.adding(.seconds(20))))
    }

    @Test func blockedAndConnectionFailuresAreFailures() {
        let blocked = AttemptClassification(.blocked("loopback"), now: now)
        #expect(blocked.responseText == "blocked: loopback")
        #expect(blocked.resultLabel == "blocked")
        let failure = AttemptClassification(.failure("connection refused"), now: now)
        #expect(failure.resultLabel == "connection_error")
        #expect(!failure.failure.overloaded)
        #expect(outcome(.failure("connection refused")) == .retry(at: now.adding(.seconds(10))))
    }

    /// A manual attempt is never retried.
    @Test func manualAttemptsEnd() {
        #expect(outcome(.response(status: 500, retryAfter: nil, body: []), trigger: .manual) == .failed(exhausted: false))
        #expect(outcome(.response(status: 200, retryAfter: nil, body: []), trigger: .manual) == .succeeded)
    }

    /// The response is kept as UTF-8 text (a character cut by the size limit dropped), otherwise as base64.
    @Test func responseBodiesAreKeptAsText() {
        #expect(AttemptClassification.text(of: Array("down".utf8)) == "down")
        let cut = Array("é".utf8).prefix(1)
        #expect(AttemptClassification.text(of: Array("ok".utf8) + cut) == "ok")
        #expect(AttemptClassification.text(of: [0xFF, 0xFE, 0xFD, 0xFC, 0xFB]) == "//79/Ps=")
    }
}
