//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

@testable import HookbirdDelivery
import HookbirdStorage
import Synchronization
import Testing

/// A call that never returns and ignores cancellation, as a query on a connection that will never answer does;
/// `release` lets it go at the end of the test.
final class StuckCall: Sendable {
    private let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let released = Mutex(false)

    func run() async -> Int {
        await withCheckedContinuation { continuation in
            let now = released.withLock { released in
                if !released { waiter.withLock { $0 = continuation } }
                return released
            }
            if now { continuation.resume() }
        }
        return 0
    }

    func release() {
        released.withLock { $0 = true }
        waiter.withLock { waiter in
            waiter?.resume()
            waiter = nil
        }
    }
}

@Suite struct StorageDeadlineTests {
    @Test func aCallInTimeReturnsItsResult() async throws {
        let value = try await withStorageDeadline(.seconds(5)) { 42 }
        #expect(value == 42)
        await #expect(throws: StorageError.duplicate("uid")) {
            try await withStorageDeadline(.seconds(5)) { () async throws -> Int in throw StorageError.duplicate("uid") }
        }
    }

    /// A storage call that hangs (and ignores cancellation) is given up on after the deadline: the caller gets
    /// `StorageError.unavailable` (which the delivery loop treats as an outage, backing off and claiming again)
    /// instead of waiting forever.
    @Test(.timeLimit(.minutes(1))) func aCallThatNeverReturnsIsGivenUpOn() async throws {
        let stuck = StuckCall()
        defer { stuck.release() }
        let started = ContinuousClock.now
        await #expect {
            _ = try await withStorageDeadline(.milliseconds(200)) { await stuck.run() }
        } throws: { error in
            (error as? StorageError)?.isUnavailable == true
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(200) && waited < .seconds(10), "waited \(waited)")
    }

    /// A caller that is cancelled stops waiting at once, even for a call that ignores cancellation.
    @Test(.timeLimit(.minutes(1))) func aCancelledCallerStopsWaiting() async throws {
        let stuck = StuckCall()
        defer { stuck.release() }
        let task = Task { try await withStorageDeadline(.seconds(3600)) { await stuck.run() } }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
