//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import Synchronization

/// What a running engine's loop, workers, claims and recorder share: the scheduler, under a lock (each event and
/// each `next` holds it briefly; the actions are carried out outside it), the signal that wakes the loop, the success
/// recorder and the transport.
final class EngineState: Sendable {
    private let scheduler: Mutex<DeliveryScheduler>
    /// Wakes the loop: the store signals queued work on it; workers, claims and the recorder wake it.
    let signal: WorkSignal
    let recorder = SuccessRecorder()
    let transport: any DeliveryTransport

    init(_ scheduler: DeliveryScheduler, signal: WorkSignal, transport: any DeliveryTransport) {
        self.scheduler = Mutex(scheduler)
        self.signal = signal
        self.transport = transport
    }

    /// Applies an event (or asks for the next action) under the lock.
    func update<Result>(_ body: (inout DeliveryScheduler) -> Result) -> Result {
        scheduler.withLock { body(&$0) }
    }
}
