//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Metrics
import Synchronization

/// The engine's metric handles, made once (the metrics factory is asked for them by label, under a lock).
final class DeliveryMetrics: Sendable {
    let requestDuration = Timer(label: "hookbird_delivery_request_duration_seconds")
    let latency = Timer(label: "hookbird_delivery_latency_seconds")
    let queueDepth = Gauge(label: "hookbird_queue_depth")
    let oldestDueAge = Gauge(label: "hookbird_queue_oldest_due_age_seconds")
    /// How long a delivery waited in the engine for a worker and a slot of its endpoint.
    let slotWait = Timer(label: "hookbird_delivery_slot_wait_seconds")
    /// The endpoints whose `hookbird_endpoint_inflight` was last reported above 0.
    private let reportedEndpoints = Mutex<Set<EndpointID>>([])

    func waitedForSlots(_ waits: [Duration]) {
        for wait in waits { slotWait.recordNanoseconds(wait.wholeMicroseconds * 1000) }
    }

    /// Reports `hookbird_endpoint_inflight{endpoint}` for the endpoints with requests in flight, and 0 for those
    /// that had some at the last report.
    func reportInFlight(_ inFlight: [EndpointID: Int]) {
        let gone = reportedEndpoints.withLock { reported in
            defer { reported = Set(inFlight.keys) }
            return reported.subtracting(inFlight.keys)
        }
        for (endpoint, count) in inFlight {
            Gauge(label: "hookbird_endpoint_inflight", dimensions: [("endpoint", endpoint.rawValue)]).record(count)
        }
        for endpoint in gone {
            Gauge(label: "hookbird_endpoint_inflight", dimensions: [("endpoint", endpoint.rawValue)]).record(0)
        }
    }
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
