//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import Synchronization

/// Successes waiting to be recorded together: a worker whose success needs nothing more than its record hands it
/// here and ends; one task (``DeliveryService/record(_:engine:)``) writes whatever gathered meanwhile in one
/// transaction (SQLite) or statement (PostgreSQL), and while one batch is written the next gathers.
final class SuccessRecorder: Sendable {
    /// Most successes recorded in one transaction (12 bound values each, well below SQLite's limit).
    static let maxBatch = 256

    private let pending = Mutex<[DeliveryCompletion]>([])
    /// Wakes the recording task when successes arrive.
    let signal = WorkSignal()

    func add(_ completion: DeliveryCompletion) {
        pending.withLock { $0.append(completion) }
        signal.wake()
    }

    /// The oldest `max` successes waiting, taken out.
    func take(max: Int) -> [DeliveryCompletion] {
        pending.withLock { pending in
            guard pending.count > max else {
                defer { pending = [] }
                return pending
            }
            defer { pending.removeFirst(max) }
            return Array(pending.prefix(max))
        }
    }
}
