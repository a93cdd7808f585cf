//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Metrics
import Synchronization

/// The engine's metric handles, made once (the metrics factory is asked for them by label, under a lock).
final class DeliveryMetrics: Sendable {
    let requestDuration = Timer(label: "hookbird_delivery_request_duration_seconds")
    let latency = Timer(label: "hookbird_delivery_latency_seconds")
    let queueDepth = Gauge(label: "hookbird_queue_depth")
    let oldestDueAge = Gauge(label: "hookbird_queue_oldest_due_age_seconds")
    private let attemptCounters = Mutex<[String: Counter]>([:])

    /// The attempts counter for one result.
    func attempts(_ result: String) -> Counter {
        attemptCounters.withLock { counters in
            if let counter = counters[result] { return counter }
            let counter = Counter(label: "hookbird_delivery_attempts_total", dimensions: [("result", result)])
            counters[result] = counter
            return counter
        }
    }
}

extension Duration {
    /// The duration in whole microseconds (rounded towards zero), never negative.
    var wholeMicroseconds: Int64 {
        max(0, components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000)
    }
}
