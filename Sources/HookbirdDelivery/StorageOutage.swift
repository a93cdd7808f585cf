//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Logging

/// The delivery engine's view of a storage outage: claims that fail back off, from 100 ms doubling to 5 s, so a
/// dead database is neither hammered nor waited for long once it is back. Pure: the scheduler keeps it, and
/// ``log(_:error:logger:)`` says what changed (the first failed claim as an error, later ones only at debug level,
/// the first claim that works again as the end of the outage).
struct StorageOutage: Sendable {
    static let firstBackoff: Duration = .milliseconds(100)
    static let maximumBackoff: Duration = .seconds(5)

    /// What a claim's result changed.
    enum Change: Sendable, Equatable {
        /// The first failed claim: delivery pauses for `wait`.
        case began(wait: Duration)
        /// Another failed claim of the same outage.
        case continued(failures: Int, wait: Duration)
        /// A claim worked after `failures` failed ones, `lasted` after the first.
        case ended(failures: Int, lasted: Duration)
    }

    private(set) var failures = 0
    private var started = Timestamp(microseconds: 0)

    /// Records a failed claim at `now`; the change says how long to wait before the next one.
    mutating func failed(at now: Timestamp) -> Change {
        if failures == 0 { started = now }
        failures += 1
        let wait = min(Self.firstBackoff * (1 << min(failures - 1, 10)), Self.maximumBackoff)
        return failures == 1 ? .began(wait: wait) : .continued(failures: failures - 1, wait: wait)
    }

    /// Records a claim that worked; ends an outage (`nil` when there was none).
    mutating func recovered(at now: Timestamp) -> Change? {
        guard failures > 0 else { return nil }
        defer { failures = 0 }
        return .ended(failures: failures, lasted: started.duration(to: now))
    }

    /// Logs a change: the start of an outage as an error, its end as a notice, the rest at debug level.
    static func log(_ change: Change, error: (any Error)? = nil, logger: Logger) {
        switch change {
        case .began:
            logger.error(
                "claiming deliveries failed; delivery pauses until the database answers again",
                metadata: ["error": "\(error.map { "\($0)" } ?? "")"]
            )
        case .continued(let failures, _):
            logger.debug(
                "claiming deliveries still fails",
                metadata: ["error": "\(error.map { "\($0)" } ?? "")", "failures": "\(failures)"]
            )
        case .ended(let failures, let lasted):
            logger.notice(
                "claiming deliveries works again; delivery resumes",
                metadata: ["failures": "\(failures)", "outage": "\(lasted)"]
            )
        }
    }
}

extension StorageOutage.Change {
    /// How long to wait before the next claim, after a failed one.
    var wait: Duration? {
        switch self {
        case .began(let wait), .continued(_, let wait): wait
        case .ended: nil
        }
    }
}
