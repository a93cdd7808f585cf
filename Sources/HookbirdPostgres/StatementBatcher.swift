//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import Synchronization

/// Group commit on a database with many connections: concurrent calls that each write one item are gathered, and
/// each batch is written by one statement (one round trip, one commit), with at most `concurrency` batches in
/// flight, so that while one commits the next gathers.
///
/// An item alone goes out at once; under load the items that arrive while the batches in flight commit make the
/// next batch. The write reports a result per item, so one refused item (a duplicate key) fails only its own caller.
/// The batches are written by ``run(_:)``, which the store runs as part of its service; ``stop()`` writes what is
/// queued, after which ``run(_:)`` returns and later items fail.
final class StatementBatcher<Item: Sendable, Output: Sendable>: Sendable {
    typealias Write = @Sendable ([Item]) async -> [Result<Output, any Error>]

    private struct Waiting: Sendable {
        let item: Item
        let continuation: CheckedContinuation<Result<Output, any Error>, Never>
    }

    private struct State: Sendable {
        var queue: [Waiting] = []
        var inFlight = 0
        var stopped = false
        /// The batching loop, when it waits for items or for room.
        var loop: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let concurrency: Int

    /// - Parameters:
    ///   - maxBatch: The most items in one statement.
    ///   - concurrency: The most batches in flight.
    init(maxBatch: Int, concurrency: Int) {
        self.maxBatch = maxBatch
        self.concurrency = concurrency
    }

    /// Writes `item` with the others of its batch; returns its output once its batch has committed.
    func submit(_ item: Item) async throws -> Output {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Output, any Error>, Never>) in
            let (accepted, loop) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                guard !state.stopped else { return (false, nil) }
                state.queue.append(Waiting(item: item, continuation: continuation))
                return (true, state.loop.take())
            }
            if accepted {
                loop?.resume()
            } else {
                continuation.resume(returning: .failure(StorageError.unavailable("the database is closed")))
            }
        }
        return try result.get()
    }

    /// Takes no more items; ``run(_:)`` writes what is queued, then returns.
    func stop() {
        let loop = state.withLock { state in
            state.stopped = true
            return state.loop.take()
        }
        loop?.resume()
    }

    /// Writes batches with `write` (one result per item, in order) until ``stop()``, and then what is left.
    func run(_ write: @escaping Write) async {
        await withDiscardingTaskGroup { group in
            while true {
                let next = state.withLock { state -> Next in
                    if !state.queue.isEmpty, state.inFlight < concurrency {
                        let batch = Array(state.queue.prefix(maxBatch))
                        state.queue.removeFirst(batch.count)
                        state.inFlight += 1
                        return .write(batch)
                    }
                    return state.stopped && state.queue.isEmpty ? .stop : .wait
                }
                switch next {
                case .write(let batch):
                    group.addTask {
                        let results = await write(batch.map(\.item))
                        for (index, waiting) in batch.enumerated() {
                            waiting.continuation.resume(
                                returning: index < results.count
                                    ? results[index] : .failure(StorageError.unavailable("the batch lost an item"))
                            )
                        }
                        let loop = self.state.withLock { state in
                            state.inFlight -= 1
                            return state.loop.take()
                        }
                        loop?.resume()
                    }
                case .wait:
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let ready = state.withLock { state in
                            let canWrite = !state.queue.isEmpty && state.inFlight < concurrency
                            if canWrite || (state.stopped && state.queue.isEmpty) { return true }
                            state.loop = continuation
                            return false
                        }
                        if ready { continuation.resume() }
                    }
                case .stop:
                    return
                }
            }
        }
    }

    private enum Next {
        case write([Waiting])
        case wait
        case stop
    }
}
