//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdStorage

/// What one attempt's ``TransportResult`` means, decided by a pure function: whether it succeeded, what is stored
/// of the response, its metrics label, and what the retry policy needs to know. ``outcome(trigger:attempts:policy:now:using:)``
/// then gives the ``DeliveryOutcome`` that, with ``gone``, is the input of `DeliveryTransition` (what the store
/// persists).
///
/// Success is 2xx only; a `410` ends the delivery and disables the endpoint; a `429` and a timeout count as
/// overload (the next attempt waits at least the overload delay); `Retry-After` is parsed at `now`.
struct AttemptClassification: Sendable, Hashable {
    /// The HTTP status, or 0 when no response came.
    var statusCode = 0
    /// What the attempt record keeps of the response: its body (at most what the transport read), or the reason.
    var responseText: String
    var succeeded = false
    /// The endpoint answered `410 Gone`.
    var gone = false
    /// What the retry policy takes into account.
    var failure = RetryPolicy.Failure()
    /// `hookbird_delivery_attempts_total`'s `result` label.
    var resultLabel: String
    /// No response before the deadline.
    var timedOut = false

    init(_ result: TransportResult, now: Timestamp) {
        switch result {
        case .response(let status, let retryAfter, let body):
            statusCode = status
            responseText = Self.text(of: body)
            succeeded = (200..<300).contains(status)
            gone = status == 410
            failure.overloaded = status == 429
            failure.retryAfter = retryAfter.flatMap { RetryPolicy.parseRetryAfter($0, now: now) }
            resultLabel = succeeded ? "success" : "http_\(status / 100)xx"
        case .timeout(let reason):
            responseText = reason
            failure.overloaded = true
            timedOut = true
            resultLabel = "timeout"
        case .blocked(let reason):
            responseText = "blocked: " + reason
            resultLabel = "blocked"
        case .failure(let reason):
            responseText = reason
            resultLabel = "connection_error"
        }
    }

    /// What follows for the delivery: success; for a failure, a retry on the policy's schedule, or the end (a manual
    /// attempt is never retried; a 410 ends the delivery without counting as a message that used up its retries).
    /// - Parameters:
    ///   - trigger: Whether the delivery is scheduled or manual.
    ///   - attempts: Attempts made so far, this one included.
    ///   - policy: The retry schedule.
    ///   - now: When the attempt ended; a retry is due `now` + the delay.
    ///   - generator: The jitter's randomness.
    func outcome(
        trigger: AttemptTrigger,
        attempts: Int,
        policy: RetryPolicy,
        now: Timestamp,
        using generator: inout some RandomNumberGenerator
    ) -> DeliveryOutcome {
        if succeeded { return .succeeded }
        if trigger == .manual || gone { return .failed(exhausted: false) }
        guard let delay = policy.delay(afterAttempts: attempts, failure: failure, using: &generator) else {
            return .failed(exhausted: true)
        }
        return .retry(at: now.adding(delay))
    }

    /// The response body as text: UTF-8 as it is (a character cut by the size limit is dropped), anything else as
    /// base64.
    static func text(of body: [UInt8]) -> String {
        for cut in 0...min(3, body.count) {
            if let text = String(validating: body.dropLast(cut), as: UTF8.self) { return text }
        }
        return Data(body).base64EncodedString()
    }
}
