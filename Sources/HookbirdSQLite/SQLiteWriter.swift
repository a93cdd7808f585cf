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
/// No task is spawned: the caller whose job finds the writer idle leads and writes batches; when its own job is
/// done it hands the lead to the first waiting job's caller.
actor SQLiteWriter {
    typealias Operation = @Sendable (SQLiteConnection) async throws -> any Sendable

    private final class Job {
        let operation: Operation
        /// Whether the job runs inside its own savepoint. A job that writes nothing before the statement that may
        /// fail (a unique key) does without: the savepoint's two statements are a third of a message's cost. If such
        /// a job fails anywhere else, the whole transaction is rolled back and every job in it fails.
        let savepoint: Bool
        var result: Result<any Sendable, any Error>?
        var waiter: CheckedContinuation<Bool, Never>?
        /// Set when the job's caller must take over writing.
        var promoted = false

        init(operation: @escaping Operation, savepoint: Bool) {
            self.operation = operation
            self.savepoint = savepoint
        }
    }

    private let connection: SQLiteConnection
    private let logger: Logger
    private let maxBatch: Int
    /// Called when a transaction is rolled back whole, so caches filled inside it are dropped.
    private let onRollback: @Sendable () -> Void
    private var queue: [Job] = []
    private var leading = false

    init(connection: SQLiteConnection, logger: Logger, maxBatch: Int = 256, onRollback: @escaping @Sendable () -> Void) {
        self.connection = connection
        self.logger = logger
        self.maxBatch = maxBatch
        self.onRollback = onRollback
    }

    /// Runs `operation` inside a write transaction and returns once that transaction has committed.
    func write<T: Sendable>(
        savepoint: Bool = true,
        _ operation: @escaping @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        let job = Job(operation: { try await operation($0) }, savepoint: savepoint)
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
        for job in batch {
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
