//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Synchronization

/// Wakes the delivery loop when work arrives. One waiter at a time; a signal given while nobody waits is kept
/// until the next wait.
///
/// ``signal()`` says that work was queued in the table, so the loop should claim; ``wake()`` only wakes it (a
/// worker became free, deliveries were handed off) and does not ask for a claim, which is a write transaction.
public final class WorkSignal: Sendable {
    private struct State {
        var signalled = false
        var claimRequested = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Says that work was queued in the table and wakes the waiter, or the next one.
    public func signal() {
        state.withLock { $0.claimRequested = true }
        wake()
    }

    /// Whether ``signal()`` was called since the last call; clears it.
    public func takeClaimRequest() -> Bool {
        state.withLock { state in
            defer { state.claimRequested = false }
            return state.claimRequested
        }
    }

    /// Wakes the waiter, or the next one, without asking for a claim.
    public func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.signalled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when signalled, or when the task is cancelled.
    public func wait() async {
        if takeSignalled() { return }
        await waitForSignal()
    }

    /// Returns when signalled, after `timeout`, or when the task is cancelled.
    public func wait(timeout: Duration) async {
        // A signal that came while nobody waited: no timer needed.
        if takeSignalled() { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns when signalled, when `clock` reaches `deadline`, or when the task is cancelled.
    public func wait<C: Clock>(until deadline: C.Instant, clock: C) async {
        if takeSignalled() { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask { try? await clock.sleep(until: deadline, tolerance: nil) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Whether a signal came while nobody waited; clears it.
    private func takeSignalled() -> Bool {
        state.withLock { state in
            defer { state.signalled = false }
            return state.signalled
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signalled || Task.isCancelled {
                        state.signalled = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
