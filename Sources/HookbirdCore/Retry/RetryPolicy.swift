//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation

/// When a failed delivery is tried again.
///
/// The first attempt is immediate; after the n-th failure the delivery waits `schedule[n-1]`, with ±`jitter` drawn
/// uniformly, until the schedule runs out. A `Retry-After` from the endpoint is honoured but clamped to
/// [scheduled delay, 2 × scheduled delay]; a 429 or a timeout waits at least the larger of the scheduled delay
/// and `overloadDelay`.
public struct RetryPolicy: Sendable, Hashable {
    /// Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts in all).
    public static let defaultSchedule: [Duration] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000].map { .seconds($0) }

    public var schedule: [Duration]
    /// Fraction of the delay drawn as jitter either way (0.2 = ±20 %).
    public var jitter: Double
    /// The least wait after a 429 or a timeout.
    public var overloadDelay: Duration

    public init(schedule: [Duration] = defaultSchedule, jitter: Double = 0.2, overloadDelay: Duration = .seconds(60)) {
        self.schedule = schedule
        self.jitter = jitter
        self.overloadDelay = overloadDelay
    }

    /// Attempts in all: the first plus one per scheduled delay.
    public var maxAttempts: Int { schedule.count + 1 }

    /// Why the last attempt failed, as far as the wait is concerned.
    public struct Failure: Sendable, Hashable {
        /// The endpoint's `Retry-After`, if it sent one.
        public var retryAfter: Duration?
        /// A 429 or a timeout.
        public var overloaded: Bool

        public init(retryAfter: Duration? = nil, overloaded: Bool = false) {
            self.retryAfter = retryAfter
            self.overloaded = overloaded
        }
    }

    /// The wait before the next attempt, or `nil` when the delivery has used all its attempts.
    /// - Parameters:
    ///   - attempts: Attempts made so far, the failed one included (1 after the first).
    ///   - failure: What the failed attempt told.
    ///   - generator: The source of jitter.
    public func delay(
        afterAttempts attempts: Int,
        failure: Failure = .init(),
        using generator: inout some RandomNumberGenerator
    ) -> Duration? {
        guard attempts >= 1, attempts <= schedule.count else { return nil }
        let base = schedule[attempts - 1]
        let factor = jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter), using: &generator) : 1
        var delay = base * factor
        if let retryAfter = failure.retryAfter {
            delay = min(max(retryAfter, base), base * 2)
        }
        if failure.overloaded {
            delay = max(delay, max(base, overloadDelay))
        }
        return delay
    }

    /// Parses a schedule written as durations separated by commas: `5s,5m,30m,2h`, or plain seconds.
    public static func parseSchedule(_ text: String) -> [Duration]? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { return nil }
        var result: [Duration] = []
        for part in parts {
            guard let duration = parseDuration(part) else { return nil }
            result.append(duration)
        }
        return result
    }

    /// Parses `500ms`, `5s`, `5m`, `2h`, `5d` or a plain number of seconds.
    public static func parseDuration(_ text: some StringProtocol) -> Duration? {
        let text = String(text)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    /// Reads a `Retry-After` header: seconds, or an HTTP date (relative to `now`).
    public static func parseRetryAfter(_ value: String, now: Timestamp) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(trimmed), seconds >= 0 { return .seconds(seconds) }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        let micros = max(0, date.microseconds - now.microseconds)
        return .microseconds(micros)
    }
}

/// IMF-fixdate parsing for `Retry-After` and `Date` (`Sun, 06 Nov 1994 08:49:37 GMT`).
public enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The instant an IMF-fixdate names, or `nil` when the text is not one.
    public static func parse(_ text: String) -> Timestamp? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
            let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3 else { return nil }
        func pad(_ n: Int, _ w: Int) -> String { String(repeating: "0", count: max(0, w - String(n).count)) + String(n) }
        return Timestamp(iso8601: "\(pad(year, 4))-\(pad(month + 1, 2))-\(pad(day, 2))T\(time[0]):\(time[1]):\(time[2])Z")
    }
}
