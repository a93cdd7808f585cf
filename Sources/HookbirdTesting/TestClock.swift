//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import Synchronization

/// A clock the test moves by hand (as Hummingbird's tests drive `MemoryPersistDriver<C: Clock>` with a mock clock):
/// `now` changes only through ``advance(_:)`` and ``set(_:)``, which wake the sleepers whose deadline has come.
///
/// ```swift
/// let clock = TestClock()
/// let engine = DeliveryService(store: store, …, clock: clock)
/// clock.advance(.seconds(61))   // a lease runs out, a retry comes due
/// ```
public final class TestClock: Clock, Sendable {
    public typealias Instant = Timestamp

    private struct Sleeper {
        let deadline: Timestamp
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Timestamp
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state: Mutex<State>

    public init(_ start: Timestamp = Timestamp(iso8601: "2026-03-01T00:00:00Z")!) {
        state = Mutex(State(now: start))
    }

    public var now: Timestamp { state.withLock { $0.now } }

    public var minimumResolution: Duration { .microseconds(1) }

    /// How many tasks sleep on this clock now.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Timestamp, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward by `duration`.
    public func advance(_ duration: Duration) {
        move { $0.adding(duration) }
    }

    /// Sets the clock to `time` (which may be earlier: a wall clock can be stepped back).
    public func set(_ time: Timestamp) {
        move { _ in time }
    }

    private func move(_ change: (Timestamp) -> Timestamp) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = change(state.now)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return Array(due.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
