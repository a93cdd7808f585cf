//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// A ``Timestamp`` is an instant of a clock: the queue's due times, attempts' times and the delivery engine's timers
/// are all measured on one scale.
extension Timestamp: InstantProtocol {
    public func advanced(by duration: Duration) -> Timestamp { adding(duration) }

    public func duration(to other: Timestamp) -> Duration { .microseconds(other.microseconds - microseconds) }
}

/// The system's real-time clock (`CLOCK_REALTIME`) as a `Clock` of ``Timestamp``s: what the delivery engine times
/// requests, schedules claims and stamps records with in production (tests inject a clock they move by hand).
///
/// One clock for all three keeps them consistent: the queue's due times are wall-clock times written by any node,
/// an attempt's timestamp plus its duration is when its response came in, and a timer set for the next due
/// delivery fires at that delivery's time. A wall clock can be stepped (NTP); durations measured across a step are
/// clamped at zero by their users, and a sleep is measured on the monotonic clock.
public struct SystemClock: Clock {
    public typealias Instant = Timestamp

    public init() {}

    public var now: Timestamp { .now }

    public var minimumResolution: Duration { .microseconds(1) }

    public func sleep(until deadline: Timestamp, tolerance: Duration? = nil) async throws {
        let wait = now.duration(to: deadline)
        guard wait > .zero else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(for: wait, tolerance: tolerance, clock: .continuous)
    }
}
