//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import Logging
import Metrics

/// The attempt pipeline: throttle, sign, send, time, classify, decide what follows, record, operational webhooks.
extension DeliveryService {
    /// Makes one attempt and records it; returns what follows for the delivery (`nil` when nothing was recorded:
    /// postponed by the throttle, cut off by shutdown, or the record failed and the lease brings it back). `sent` is
    /// called (with whether it timed out) when the request is done, before the attempt is recorded. A success that needs nothing more than its
    /// record (no operational webhook) is offered to `recordLater`; when that takes it, it is recorded elsewhere and
    /// this returns at once.
    @discardableResult
    func deliver(
        _ delivery: ClaimedDelivery,
        transport: any DeliveryTransport,
        sent: (_ timedOut: Bool) -> Void = { _ in },
        recordLater: (DeliveryCompletion) -> Bool = { _ in false }
    ) async -> DeliveryOutcome? {
        let logger = DeliveryLogger(logger: self.logger, delivery: delivery)
        if await postponedByThrottle(delivery, logger: logger) { return nil }

        let started = clock.now
        let result = await transport.send(request(for: delivery, at: started), timeout: configuration.requestTimeout)
        let elapsed = max(.zero, started.duration(to: clock.now))
        if case .timeout = result { sent(true) } else { sent(false) }
        metrics.requestDuration.recordNanoseconds(elapsed.wholeMicroseconds * 1000)

        // Cut off by graceful shutdown (the task was cancelled, and with it the request): nothing is known of this
        // attempt, so none is recorded; the delivery keeps its lease and the next start sends it again. The store
        // would still write a record queued now, and the attempt would count as a failure that never happened.
        if Task.isCancelled, case .failure = result {
            logger.info("delivery cut off by shutdown; it is sent again after the next start")
            return nil
        }
        let now = clock.now
        let classification = AttemptClassification(result, now: now)
        metrics.attempts(classification.resultLabel).increment()
        if classification.succeeded, delivery.attemptCount == 0 {
            metrics.latency.recordMicroseconds(max(0, now.microseconds - delivery.message.createdAt.microseconds))
        }
        let attempts = delivery.attemptCount + 1
        var generator = SystemRandomNumberGenerator()
        let outcome = classification.outcome(
            trigger: delivery.trigger,
            attempts: attempts,
            policy: configuration.retryPolicy,
            now: now,
            using: &generator
        )
        let completion = completion(delivery, classification, outcome: outcome, started: started, elapsed: elapsed)
        // `message.attempt.recovered` follows a scheduled success after 4 failures (see emitOperationalWebhooks).
        if outcome == .succeeded, delivery.trigger != .scheduled || attempts < 5, recordLater(completion) {
            return outcome
        }
        return await record(completion, of: delivery, classification, now: now, logger: logger)
    }

    /// Whether the endpoint's throttle postponed the delivery (put back in the table, due when a token is free).
    func postponedByThrottle(_ delivery: ClaimedDelivery, logger: DeliveryLogger) async -> Bool {
        let endpoint = delivery.endpoint
        guard let rate = endpoint.throttleRate, let wait = await throttleWait(endpoint.id, rate: rate, logger: logger)
        else { return false }
        do {
            try await bounded { store, now in try await store.postponeDelivery(id: delivery.id, until: now.adding(wait)) }
        } catch {
            logger.error("postponing a throttled delivery failed", metadata: ["error": "\(error)"])
        }
        return true
    }

    /// The attempt's report: its record and what follows for the delivery.
    func completion(
        _ delivery: ClaimedDelivery,
        _ classification: AttemptClassification,
        outcome: DeliveryOutcome,
        started: Timestamp,
        elapsed: Duration
    ) -> DeliveryCompletion {
        let attempt = MessageAttempt(
            id: .generate(at: started),
            messageID: delivery.message.id,
            endpointID: delivery.endpoint.id,
            appID: delivery.message.appID,
            orgID: delivery.message.orgID,
            url: delivery.endpoint.url,
            response: classification.responseText,
            responseStatusCode: classification.statusCode,
            responseDurationMs: elapsed.wholeMicroseconds / 1000,
            status: classification.succeeded ? .success : .fail,
            trigger: delivery.trigger,
            timestamp: started
        )
        return DeliveryCompletion(
            deliveryID: delivery.id,
            attempt: attempt,
            outcome: outcome,
            gone: classification.gone,
            disablePolicy: configuration.disablePolicy
        )
    }

    /// Records the attempt now (in its own transaction), then sends the operational webhooks it calls for.
    func record(
        _ completion: DeliveryCompletion,
        of delivery: ClaimedDelivery,
        _ classification: AttemptClassification,
        now: Timestamp,
        logger: DeliveryLogger
    ) async -> DeliveryOutcome? {
        let effects: CompletionEffects
        do {
            effects = try await bounded { store, _ in try await store.completeDelivery(completion, now: now) }
        } catch {
            // The lease runs out and the delivery is tried again: at least once.
            logger.error("recording an attempt failed", metadata: ["error": "\(error)"])
            return nil
        }
        if !classification.succeeded {
            logger.info(
                "delivery attempt failed",
                metadata: ["result": "\(classification.resultLabel)", "status": "\(classification.statusCode)"]
            )
        }
        await emitOperationalWebhooks(
            delivery,
            attempt: completion.attempt,
            outcome: completion.outcome,
            effects: effects,
            attempts: delivery.attemptCount + 1
        )
        return completion.outcome
    }

    /// How long a delivery to a throttled endpoint must wait, or `nil` to send now: from the buckets in the
    /// database when the store shares them between nodes (PostgreSQL), so that N nodes together keep to the rate;
    /// otherwise from the in-memory ``Throttle``. When the database cannot answer, the in-memory bucket decides.
    func throttleWait(_ endpoint: EndpointID, rate: Int, logger: DeliveryLogger) async -> Duration? {
        if let sharedThrottle {
            do {
                return try await bounded { _, now in
                    try await sharedThrottle.takeThrottleToken(endpoint: endpoint, rate: rate, now: now)
                }
            } catch {
                logger.warning("the shared throttle failed; throttling in this process", metadata: ["error": "\(error)"])
            }
        }
        return throttle.acquire(endpoint, rate: rate, now: clock.now)
    }
}
