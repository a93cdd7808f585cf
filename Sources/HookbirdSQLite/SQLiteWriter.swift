//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import Logging
import NIOPosix
import Synchronization

/// The single writer of an SQLite database, with group commit.
///
/// SQLite allows one writer at a time, and with `synchronous=FULL` each commit costs an fsync. Every write is a
/// job; jobs that arrive while a transaction is being written wait and then go into the next transaction together,
/// each inside its own savepoint, so one failing job rolls back only itself. A job's caller resumes only after the
/// transaction holding its job has committed: nothing is acknowledged before it is durable.
///
/// Jobs of a mergeable kind (message inserts, successful delivery completions) that land in the same transaction are
/// written together by their kind's merged operation: one multi-row statement per table instead of a statement per
/// row. Jobs of one kind keep their order; kinds commute, since their rows are distinct.
///
/// Only what is acknowledged must wait for the disk. With `synchronous=FULL` a job says whether it needs it
/// (`durable`, the default); a transaction holding no durable job commits with `synchronous=NORMAL`, which does not
/// wait for fsync: the delivery engine's claims and attempt records, which a power loss may take back (those
/// deliveries are then sent again: at least once). The next durable commit syncs the write-ahead log, so whatever
/// was committed before it is durable with it.
///
/// One task writes (``run()``, which the store runs as part of its service), and it runs on a thread of its own (a
/// thread pool of one, as the task's executor) where it calls SQLite directly through its own ``SQLiteHandle``,
/// whose statements stay prepared: a statement and the code between statements follow each other on that one
/// thread, with no thread to wake in between. On a busy machine each such wake-up waited for a CPU (about a
/// millisecond each, several per statement), and a transaction's few statements took milliseconds while the CPU sat
/// idle. A caller only queues its job and waits; a cancelled caller still gets its job written.
final class SQLiteWriter: Sendable {
    typealias Operation = @Sendable (SQLiteHandle) async throws -> any Sendable
    /// Writes several mergeable items of one kind at once, returning one result per item; throws a duplicate
    /// ``StorageError`` (having written nothing) when any item is refused, so the items are then written one by one.
    typealias MergedOperation = @Sendable ([any Sendable], SQLiteHandle) async throws -> [any Sendable]

    /// A kind of job whose neighbours in a transaction are written together.
    struct MergeKind: Hashable, Sendable {
        let name: String
    }

    /// A job: set up by its caller, then run and answered by the writing task (the queue's lock orders the two).
    private final class Job: @unchecked Sendable {
        let operation: Operation
        /// Whether the job runs inside its own savepoint. A job that writes nothing before the statement that may
        /// fail (a unique key) does without: the savepoint's two statements are a third of a message's cost. If such
        /// a job fails anywhere else, the whole transaction is rolled back and every job in it fails.
        let savepoint: Bool
        /// Set for jobs that may be merged with their neighbours of the same kind through the kind's merged
        /// operation.
        let merge: (kind: MergeKind, item: any Sendable)?
        /// Whether the job's transaction must reach the disk before the job's caller resumes.
        let durable: Bool
        var result: Result<any Sendable, any Error>?
        var waiter: CheckedContinuation<Void, Never>?

        init(
            operation: @escaping Operation,
            savepoint: Bool,
            durable: Bool,
            merge: (kind: MergeKind, item: any Sendable)? = nil
        ) {
            self.operation = operation
            self.savepoint = savepoint
            self.durable = durable
            self.merge = merge
        }
    }

    private struct Queue {
        var jobs: [Job] = []
        /// The writing task, when it waits for jobs.
        var idle: CheckedContinuation<Void, Never>?
        var closed = false
    }

    /// Runs jobs on a thread pool's thread: the writing task's executor.
    final class ThreadPoolExecutor: TaskExecutor {
        let pool: NIOThreadPool
        init(pool: NIOThreadPool) { self.pool = pool }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            // Also once the pool is stopping: a job that never ran would leave its task hanging.
            pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    private let connection: SQLiteHandle
    private let logger: Logger
    private let maxBatch: Int
    /// Called when a transaction is rolled back whole, so caches filled inside it are dropped.
    private let onRollback: @Sendable () -> Void
    private let mergedOperations: [MergeKind: MergedOperation]
    private let queue = Mutex(Queue())
    /// Whether the connection runs with `synchronous=FULL` (the store's durability); jobs that are not durable
    /// then switch it to `NORMAL` for their transactions.
    private let syncsDurableJobs: Bool
    /// The writing task's executor: the thread the handle is used on.
    let executor: ThreadPoolExecutor

    /// - Parameter threadPool: The pool (of one thread) the writing task runs on, and with it every statement.
    init(
        connection: SQLiteHandle,
        threadPool: NIOThreadPool,
        logger: Logger,
        synchronousFull: Bool,
        maxBatch: Int = 256,
        onRollback: @escaping @Sendable () -> Void,
        mergedOperations: [MergeKind: MergedOperation]
    ) {
        self.connection = connection
        self.logger = logger
        self.maxBatch = maxBatch
        self.onRollback = onRollback
        self.mergedOperations = mergedOperations
        self.syncsDurableJobs = synchronousFull
        self.executor = ThreadPoolExecutor(pool: threadPool)
    }

    /// Writes what is queued and what comes, until ``close()``; then writes what is left and returns. Jobs queued
    /// before it starts wait for it. Run it on ``executor``.
    func run() async {
        await writeBatches(syncFull: syncsDurableJobs)
    }

    /// Stops taking jobs (later ones fail); ``run()`` writes what is queued, then returns.
    func close() {
        let idle = queue.withLock { queue in
            queue.closed = true
            return queue.idle.take()
        }
        idle?.resume()
    }

    /// Runs a mergeable job: alone it is `operation` (without a savepoint); with neighbours of its kind in the same
    /// transaction it is written by the kind's merged operation.
    func writeMergeable<T: Sendable>(
        _ kind: MergeKind,
        _ item: some Sendable,
        durable: Bool = true,
        _ operation: @escaping @Sendable (SQLiteHandle) async throws -> T
    ) async throws -> T {
        try await submit(
            Job(operation: { try await operation($0) }, savepoint: false, durable: durable, merge: (kind, item))
        )
    }

    /// Runs `operation` inside a write transaction and returns once that transaction has committed (and, when
    /// `durable`, reached the disk as the store's durability says).
    func write<T: Sendable>(
        savepoint: Bool = true,
        durable: Bool = true,
        _ operation: @escaping @Sendable (SQLiteHandle) async throws -> T
    ) async throws -> T {
        try await submit(Job(operation: { try await operation($0) }, savepoint: savepoint, durable: durable))
    }

    private func submit<T: Sendable>(_ job: Job) async throws -> T {
        await withCheckedContinuation { continuation in
            job.waiter = continuation
            let (accepted, idle) = queue.withLock { queue -> (Bool, CheckedContinuation<Void, Never>?) in
                guard !queue.closed else { return (false, nil) }
                queue.jobs.append(job)
                return (true, queue.idle.take())
            }
            if !accepted {
                job.result = .failure(StorageError.unavailable("the database is closed"))
                job.waiter = nil
                continuation.resume()
            }
            idle?.resume()
        }
        // The job ran: its result is set.
        switch job.result! {
        case .success(let value): return value as! T
        case .failure(let error): throw error
        }
    }

    /// The writing task: takes what is queued (up to `maxBatch` jobs), writes it in one transaction, answers its
    /// callers, and again; waits while nothing is queued; ends once closed and empty.
    private func writeBatches(syncFull: Bool) async {
        var syncFull = syncFull
        while true {
            let next = queue.withLock { queue -> Next in
                if !queue.jobs.isEmpty {
                    let batch = Array(queue.jobs.prefix(maxBatch))
                    queue.jobs.removeFirst(batch.count)
                    return .batch(batch)
                }
                return queue.closed ? .stop : .wait
            }
            switch next {
            case .batch(let batch):
                await run(batch, syncFull: &syncFull)
                for job in batch {
                    let waiter = job.waiter
                    job.waiter = nil
                    waiter?.resume()
                }
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = queue.withLock { queue in
                        if !queue.jobs.isEmpty || queue.closed { return true }
                        queue.idle = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            case .stop:
                return
            }
        }
    }

    private enum Next {
        case batch([Job])
        case wait
        case stop
    }

    private func run(_ batch: [Job], syncFull: inout Bool) async {
        do {
            if syncsDurableJobs {
                let full = batch.contains { $0.durable }
                if full != syncFull {
                    try await exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                    syncFull = full
                }
            }
            try await exec("BEGIN IMMEDIATE")
        } catch {
            for job in batch { job.result = .failure(SQLiteStore.translate(error)) }
            return
        }
        var handled = [Bool](repeating: false, count: batch.count)
        for index in batch.indices where !handled[index] {
            let job = batch[index]
            handled[index] = true
            guard let kind = job.merge?.kind else {
                guard await runAlone(job, in: batch) else { return }
                continue
            }
            // Every job of this kind from here on goes with it.
            var members = [job]
            for later in (index + 1)..<batch.count where !handled[later] && batch[later].merge?.kind == kind {
                handled[later] = true
                members.append(batch[later])
            }
            if members.count > 1, let merged = mergedOperations[kind] {
                do {
                    let results = try await merged(members.map { $0.merge!.item }, connection)
                    for (member, result) in zip(members, results) { member.result = .success(result) }
                    continue
                } catch {
                    guard (SQLiteStore.translate(error) as? StorageError)?.isDuplicate == true else {
                        await rollBack(batch, after: error, in: "a merged write")
                        return
                    }
                    // One of them was refused and nothing was written: write them one by one.
                }
            }
            for member in members {
                guard await runAlone(member, in: batch) else { return }
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

    /// Runs one job of the open transaction; `false` when its failure rolled the whole transaction back (every job
    /// of the batch then has its result).
    private func runAlone(_ job: Job, in batch: [Job]) async -> Bool {
        guard job.savepoint else {
            do {
                job.result = .success(try await job.operation(connection))
            } catch {
                let translated = SQLiteStore.translate(error)
                guard (translated as? StorageError)?.isDuplicate == true else {
                    await rollBack(batch, after: error, in: "a write without a savepoint")
                    return false
                }
                // Refused by its first statement: nothing of it was written.
                job.result = .failure(translated)
            }
            return true
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
        return true
    }

    private func rollBack(_ batch: [Job], after error: any Error, in what: String) async {
        logger.error("\(what) failed; rolling back its transaction", metadata: ["error": "\(error)"])
        try? await exec("ROLLBACK")
        onRollback()
        for job in batch {
            job.result = .failure(StorageError.unavailable("the transaction was rolled back: \(error)"))
        }
    }

    private func exec(_ sql: String) async throws {
        try connection.rows(sql)
    }
}
