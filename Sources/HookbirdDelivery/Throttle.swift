//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Synchronization

/// Enforces endpoints' `throttleRate` (deliveries per second) with a token bucket per endpoint, in memory: exact
/// for a store one process uses alone (SQLite). A store shared by several nodes keeps the buckets in the database
/// instead (`DeliveryQueue.takeThrottleToken`); this one is then only the fallback when the database cannot answer.
final class Throttle: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Timestamp
    }

    private let buckets = Mutex<[EndpointID: Bucket]>([:])

    /// Takes a token for the endpoint, or says how long to wait for one.
    /// - Returns: `nil` to send now, or the wait.
    func acquire(_ endpoint: EndpointID, rate: Int, now: Timestamp) -> Duration? {
        let rate = Double(max(1, rate))
        return buckets.withLock { buckets in
            var bucket = buckets[endpoint] ?? Bucket(tokens: rate, updated: now)
            let elapsed = Double(max(0, now.microseconds - bucket.updated.microseconds)) / 1_000_000
            bucket.tokens = min(rate, bucket.tokens + elapsed * rate)
            bucket.updated = now
            defer { buckets[endpoint] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            let wait = (1 - bucket.tokens) / rate
            return .microseconds(Int64((wait * 1_000_000).rounded(.up)))
        }
    }
}
