//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import Logging
import SQLiteNIO

/// The single writer of an SQLite database, with group commit.
///
/// SQLite allows one writer at a time, and with `synchronous=FULL` each commit costs an fsync. Every write is a
/// job; jobs that arrive while a transaction is being written wait and then go into the next transaction together,
/// each inside its own savepoint, so one failing job rolls back only itself. A job's caller resumes only after the
/// transaction holding its job has committed: nothing is acknowledged before it is durable.
///
/// Message inserts that land in the same transaction are written together: one multi-row `INSERT` for the
/// messages and one for their deliveries, instead of a statement per row (each statement is a thread-pool hop).
///
/// No task is spawned: the caller whose job finds the writer idle leads and writes batches; when its own job is
/// done it hands the lead to the first waiting job's caller.
actor SQLiteWriter {
    typealias Operation = @Sendable (SQLiteConnection) async throws -> any Sendable
    /// Writes several mergeable items at once, returning one result per item; throws a duplicate ``StorageError``
    /// (having written nothing) when any item is refused, so the items are then written one by one.
    typealias MergedOperation = @Sendable ([any Sendable], SQLiteConnection) async throws -> [any Sendable]

    private final class Job {
        let operation: Operation
        /// Whether the job runs inside its own savepoint. A job that writes nothing before the statement that may
        /// fail (a unique key) does without: the savepoint's two statements are a third of a message's cost. If such
        /// a job fails anywhere else, the whole transaction is rolled back and every job in it fails.
        let savepoint: Bool
        /// Set for jobs that may be merged with their neighbours through the merged operation.
        let mergeItem: (any Sendable)?
        var result: Result<any Sendable, any Error>?
        var waiter: CheckedContinuation<Bool, Never>?
        /// Set when the job's caller must take over writing.
        var promoted = false

        init(operation: @escaping Operation, savepoint: Bool, mergeItem: (any Sendable)? = nil) {
            self.operation = operation
            self.savepoint = savepoint
            self.mergeItem = mergeItem
        }
    }

    private let connection: SQLiteConnection
    private let logger: Logger
    private let maxBatch: Int
    /// Called when a transaction is rolled back whole, so caches filled inside it are dropped.
    private let onRollback: @Sendable () -> Void
    private let mergedOperation: MergedOperation
    private var queue: [Job] = []
    private var leading = false

    init(
        connection: SQLiteConnection,
        logger: Logger,
        maxBatch: Int = 256,
        onRollback: @escaping @Sendable () -> Void,
        mergedOperation: @escaping MergedOperation
    ) {
        self.connection = connection
        self.logger = logger
        self.maxBatch = maxBatch
        self.onRollback = onRollback
        self.mergedOperation = mergedOperation
    }

    /// Runs a mergeable job: alone it is `operation` (without a savepoint); with neighbours of its kind in the same
    /// transaction it is written by the merged operation.
    func writeMergeable<T: Sendable>(
        _ item: some Sendable,
        _ operation: @escaping @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        try await submit(Job(operation: { try await operation($0) }, savepoint: false, mergeItem: item))
    }

    /// Runs `operation` inside a write transaction and returns once that transaction has committed.
    func write<T: Sendable>(
        savepoint: Bool = true,
        _ operation: @escaping @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        try await submit(Job(operation: { try await operation($0) }, savepoint: savepoint))
    }

    private func submit<T: Sendable>(_ job: Job) async throws -> T {
        queue.append(job)
        if leading {
            let promoted = await withCheckedContinuation { continuation in
                job.waiter = continuation
            }
            if promoted { await lead(until: job) }
        } else {
            leading = true
            await lead(until: job)
        }
        // The job ran: its result is set.
        switch job.result! {
        case .success(let value): return value as! T
        case .failure(let error): throw error
        }
    }

    /// Writes batches until `own` has run, then passes the lead on (or gives it up when the queue is empty).
    private func lead(until own: Job) async {
        while own.result == nil {
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            await run(batch)
            for job in batch where job !== own {
                job.waiter?.resume(returning: false)
                job.waiter = nil
            }
        }
        if let next = queue.first {
            // Its caller is suspended waiting; it writes the next batch.
            next.promoted = true
            next.waiter?.resume(returning: true)
            next.waiter = nil
        } else {
            leading = false
        }
    }

    private func run(_ batch: [Job]) async {
        do {
            try await exec("BEGIN IMMEDIATE")
        } catch {
            for job in batch { job.result = .failure(SQLiteStore.translate(error)) }
            return
        }
        var index = 0
        while index < batch.count {
            let job = batch[index]
            index += 1
            if job.mergeItem != nil {
                // The run of mergeable jobs starting here.
                var run = [job]
                while index < batch.count, batch[index].mergeItem != nil {
                    run.append(batch[index])
                    index += 1
                }
                if run.count > 1 {
                    do {
                        let results = try await mergedOperation(run.map { $0.mergeItem! }, connection)
                        for (member, result) in zip(run, results) { member.result = .success(result) }
                        continue
                    } catch {
                        let translated = SQLiteStore.translate(error)
                        guard (translated as? StorageError)?.isDuplicate == true else {
                            logger.error("a merged write failed; rolling back its transaction", metadata: ["error": "\(error)"])
                            try? await exec("ROLLBACK")
                            onRollback()
                            for other in batch {
                                other.result = .failure(StorageError.unavailable("the transaction was rolled back: \(error)"))
                            }
                            return
                        }
                        // One of them was refused and nothing was written: write them one by one below.
                    }
                }
                index -= run.count - 1
            }
            if !job.savepoint {
                do {
                    job.result = .success(try await job.operation(connection))
                } catch let error as StorageError where error.isDuplicate {
                    // Refused by its first statement: nothing of it was written.
                    job.result = .failure(error)
                } catch {
                    let translated = SQLiteStore.translate(error)
                    if let storageError = translated as? StorageError, storageError.isDuplicate {
                        job.result = .failure(translated)
                        continue
                    }
                    logger.error("a write failed without a savepoint; rolling back its transaction", metadata: ["error": "\(error)"])
                    try? await exec("ROLLBACK")
                    onRollback()
                    for other in batch {
                        other.result = .failure(StorageError.unavailable("the transaction was rolled back: \(error)"))
                    }
                    return
                }
                continue
            }
            do {
                try await exec("SAVEPOINT job")
                let value = try await job.operation(connection)
                try await exec("RELEASE job")
                job.result = .success(value)
            } catch {
                job.result = .failure(SQLiteStore.translate(error))
                do {
                    try await exec("ROLLBACK TO job")
                    try await exec("RELEASE job")
                } catch {
                    logger.error("rollback of a failed write failed", metadata: ["error": "\(error)"])
                }
            }
        }
        do {
            try await exec("COMMIT")
        } catch {
            logger.error("commit failed", metadata: ["error": "\(error)"])
            try? await exec("ROLLBACK")
            onRollback()
            for job in batch { job.result = .failure(StorageError.unavailable("commit failed: \(error)")) }
        }
    }

    private func exec(_ sql: String) async throws {
        _ = try await connection.query(sql, [])
    }
}
