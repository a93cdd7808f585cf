//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import Synchronization

/// Runs a storage call for at most `limit`; past that, the caller stops waiting for it and gets
/// `StorageError.unavailable`.
///
/// The delivery loop awaits its storage calls through this, so that a call that never returns cannot block the loop,
/// or take a worker slot, for good. On PostgreSQL, a statement written just as the server went away was seen to wait
/// for good, neither answered nor failed (see `PostgresStore.withConnection`): before this deadline, a claim stuck
/// that way stopped a node's deliveries after an outage while its API worked (tests/cluster/test_outage.py). A call that runs out of time is cancelled and then abandoned: it is
/// not awaited, since a call that ignores cancellation could otherwise block shutdown as well. Abandoning is safe
/// for the engine's calls: a claim that commits late only leases deliveries, which are claimed again when the lease
/// runs out, and a completion that commits late records what happened.
///
/// This is the one place where the engine starts an unstructured task: awaiting a call that may never return, in a
/// child task, would make the task group that owns it wait for it too.
/// - Parameters:
///   - limit: How long to wait.
///   - operation: The storage call.
/// - Returns: What `operation` returned.
/// - Throws: What `operation` threw, `StorageError.unavailable` when it took longer than `limit`, or
///   `CancellationError` when the caller was cancelled meanwhile.
func withStorageDeadline<T: Sendable>(
    _ limit: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = DeadlineOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            guard outcome.start(continuation) else { return }
            let work = Task {
                do {
                    outcome.finish(.success(try await operation()))
                } catch {
                    outcome.finish(.failure(error))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                outcome.finish(.failure(StorageError.unavailable("no answer from the database within \(limit)")))
            }
            // Whichever comes first, the other tasks are no longer needed: the timer stops, and a call that is given up
            // on (deadline or cancelled caller) is asked to stop as well.
            outcome.onFinish {
                timer.cancel()
                work.cancel()
            }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// The first result of ``withStorageDeadline(_:_:)``: the call's, the deadline's or the caller's cancellation.
private final class DeadlineOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var finished = false
        var onFinish: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// Keeps the continuation to resume; returns `false` (having resumed it) when the outcome is already known.
    func start(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let result = state.withLock { state -> Result<T, any Error>? in
            if state.finished { return state.result }
            state.continuation = continuation
            return nil
        }
        guard let result else { return true }
        continuation.resume(with: result)
        return false
    }

    /// Runs `action` once the outcome is known (at once when it is already known).
    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.finished { return true }
            state.onFinish = action
            return false
        }
        if now { action() }
    }

    /// Records `result` unless another came first; returns whether it was the first.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (first, continuation, action) = state.withLock {
            state -> (Bool, CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            guard !state.finished else { return (false, nil, nil) }
            state.finished = true
            state.result = result
            defer {
                state.continuation = nil
                state.onFinish = nil
            }
            return (true, state.continuation, state.onFinish)
        }
        continuation?.resume(with: result)
        action?()
        return first
    }
}
