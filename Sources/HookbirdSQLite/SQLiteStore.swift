//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
public import HookbirdCore
public import HookbirdSQL
public import HookbirdStorage
public import Logging
import NIOPosix
public import SQLKit
public import ServiceLifecycle
import SQLiteNIO
import VaporCSQLite

/// The embedded backend: one SQLite file in WAL mode, one writer with group commit, a few readers.
///
/// The store is a `Service`: its ``run()`` writes (the writer's task on its own thread) and checkpoints the
/// write-ahead log until graceful shutdown, then writes what is queued and closes the file. Reads work as soon as the
/// store is open; writes wait until it runs.
///
/// ```swift
/// let store = try SQLiteStore.open(path: "hookbird.sqlite", durability: .full, logger: logger)
/// let group = ServiceGroup(services: [store, application], …)   // the store first: it stops last
/// ```
public final class SQLiteStore: RelationalStore, Service {
    /// How hard a commit waits for the disk.
    public enum Durability: String, Sendable, CaseIterable {
        /// `synchronous=FULL`: a commit survives power loss. The default.
        case full
        /// `synchronous=NORMAL`: a commit survives a crash of the process, but the last commits may be lost on
        /// power loss.
        case normal
    }

    let writer: SQLiteWriter
    private let writeHandle: SQLiteHandle
    private let readers: SQLiteReaders
    /// Checkpoints the WAL into the database file, beside the writer (see ``checkpoints(every:)``).
    private let checkpointHandle: SQLiteHandle
    /// The threads of the writer and of the checkpoints, one each, so that neither waits for a thread behind
    /// reads or the other.
    private let writerThread: NIOThreadPool
    private let checkpointThread: NIOThreadPool
    let logger: Logger
    public let workSignal: WorkSignal
    /// This process is the database's only user, so fresh deliveries go straight to its delivery engine (the
    /// composition root gives the engine this hand-off).
    public let handOff: DeliveryHandOff
    /// Applications found by `(org, id or uid)`; every change of an application clears it.
    let applicationCache = ReadCache<Application>()
    /// Sources found by id or uid; every change of a source or an application clears it.
    let sourceCache = ReadCache<Source>()
    /// The fan-out filters of each application's live endpoints, read and cleared only inside writer jobs (which
    /// run one at a time), so message inserts skip a query. Every job that changes endpoints clears it.
    let fanOutCache: FanOutCache
    /// Endpoints that have a row in `endpoint_failures`, so a success to any other endpoint skips the delete.
    /// Loaded by ``migrate()``; changed only inside writer jobs.
    let failingEndpoints: EndpointSet
    /// Messages inserted lately, so claiming their deliveries soon after skips reading them back. Messages are
    /// never changed once written.
    let recentMessages: RecentMessages
    /// Seals the secrets the store writes and opens the ones it reads.
    public let secrets: SecretsCipher

    public var flavor: SQLFlavor { .sqlite }

    /// Message inserts of one transaction are merged (see ``insertMessages(_:on:cache:recent:secrets:handOff:)``).
    static let messageInsert = SQLiteWriter.MergeKind(name: "message insert")
    /// Successful delivery completions of one transaction are merged (see ``completeSucceeded(_:on:failing:)``).
    static let successfulCompletion = SQLiteWriter.MergeKind(name: "successful completion")
    /// Providers' requests recorded in one transaction are merged (see
    /// ``recordInboundRequests(_:on:cache:recent:secrets:handOff:)``).
    static let inboundRecord = SQLiteWriter.MergeKind(name: "inbound record")

    private init(
        writeHandle: SQLiteHandle,
        readers: SQLiteReaders,
        checkpointHandle: SQLiteHandle,
        writerThread: NIOThreadPool,
        checkpointThread: NIOThreadPool,
        durability: Durability,
        secrets: SecretsCipher,
        logger: Logger
    ) {
        self.secrets = secrets
        self.writeHandle = writeHandle
        self.readers = readers
        self.checkpointHandle = checkpointHandle
        self.writerThread = writerThread
        self.checkpointThread = checkpointThread
        let fanOutCache = FanOutCache()
        let recentMessages = RecentMessages()
        let failingEndpoints = EndpointSet()
        let workSignal = WorkSignal()
        let handOff = DeliveryHandOff(signal: workSignal)
        self.workSignal = workSignal
        self.handOff = handOff
        self.fanOutCache = fanOutCache
        self.recentMessages = recentMessages
        self.failingEndpoints = failingEndpoints
        self.writer = SQLiteWriter(
            connection: writeHandle,
            threadPool: writerThread,
            logger: logger,
            synchronousFull: durability == .full,
            onRollback: { fanOutCache.clear() },
            mergedOperations: [
                Self.messageInsert: { items, connection in
                    try Self.insertMessages(
                        items.map { $0 as! Message },
                        on: connection,
                        cache: fanOutCache,
                        recent: recentMessages,
                        secrets: secrets,
                        handOff: handOff
                    )
                },
                Self.inboundRecord: { items, connection in
                    try Self.recordInboundRequests(
                        items.map { $0 as! InboundRecord },
                        on: connection,
                        cache: fanOutCache,
                        recent: recentMessages,
                        secrets: secrets,
                        handOff: handOff
                    )
                },
                Self.successfulCompletion: { items, connection in
                    try Self.completeSucceeded(
                        items.map { $0 as! TimedCompletion },
                        on: connection,
                        failing: failingEndpoints
                    )
                },
            ]
        )
        self.logger = logger
    }

    /// Opens (creating if needed) the database file. Writes wait until the store runs (``run()``).
    /// - Parameters:
    ///   - path: The file; `:memory:` is refused since readers need the same database.
    ///   - durability: `full` (fsync on every commit) or `normal`.
    ///   - readers: Number of read connections.
    ///   - secrets: Seals secrets at rest (see ``SecretsCipher``); by default they are stored as they are.
    ///   - logger: Where the store logs.
    /// - Throws: `StorageError.unavailable` when the file cannot be opened.
    public static func open(
        path: String,
        durability: Durability = .full,
        readers readerCount: Int = 2,
        secrets: SecretsCipher = .plaintext,
        logger: Logger = Logger(label: "hookbird.sqlite")
    ) throws -> SQLiteStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw StorageError.unavailable("the directory \(directory) does not exist")
        }
        let synchronous = "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")"
        var opened: [SQLiteHandle] = []
        do {
            let writer = try SQLiteHandle(path: path)
            opened.append(writer)
            try writer.execute("PRAGMA journal_mode = WAL")
            try writer.execute(synchronous)
            try writer.execute("PRAGMA foreign_keys = ON")
            // The commit that crosses SQLite's checkpoint threshold would copy the WAL into the database file
            // (and fsync it) while every later write waits; a connection of its own does it instead.
            try writer.execute("PRAGMA wal_autocheckpoint = 0")
            let checkpointer = try SQLiteHandle(path: path)
            opened.append(checkpointer)
            try checkpointer.execute(synchronous)
            let readers = try SQLiteReaders(path: path, count: readerCount)
            let writerThread = NIOThreadPool(numberOfThreads: 1)
            let checkpointThread = NIOThreadPool(numberOfThreads: 1)
            writerThread.start()
            checkpointThread.start()
            return SQLiteStore(
                writeHandle: writer,
                readers: readers,
                checkpointHandle: checkpointer,
                writerThread: writerThread,
                checkpointThread: checkpointThread,
                durability: durability,
                secrets: secrets,
                logger: logger
            )
        } catch {
            for handle in opened { handle.close() }
            throw StorageError.unavailable("cannot open SQLite database at \(path): \(error)")
        }
    }

    /// Writes (on the writer's thread) and checkpoints the WAL every 500 ms until graceful shutdown or
    /// cancellation; then writes what is queued and closes the database.
    public func run() async throws {
        let writer = self.writer
        await withTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: writer.executor) { await writer.run() }
            group.addTask { await self.checkpoints(every: .milliseconds(500)) }
            // Until graceful shutdown, or until cancelled.
            try? await gracefulShutdown()
            writer.close()
            await group.next()
            group.cancelAll()
        }
        await closeConnections()
    }

    /// Closes the connections and stops their threads; the writer must have stopped.
    private func closeConnections() async {
        try? await readers.close()
        checkpointHandle.close()
        writeHandle.close()
        try? await writerThread.shutdownGracefully()
        try? await checkpointThread.shutdownGracefully()
    }

    /// Copies the WAL into the database file every `interval`, without holding up the writer (a passive
    /// checkpoint: it takes what has been committed and waits for nobody). Once everything is copied, the next
    /// transaction starts the WAL file over, so it stays small. Ends when cancelled.
    private func checkpoints(every interval: Duration) async {
        let handle = checkpointHandle
        var failed = false
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard !Task.isCancelled else { break }
            do {
                try await checkpointThread.runIfActive { try handle.execute("PRAGMA wal_checkpoint(PASSIVE)") }
                failed = false
            } catch {
                if !failed { logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"]) }
                failed = true
            }
        }
    }

    public func migrate() async throws {
        try await writer.write { handle in
            try handle.rows(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
            )
            let applied = Set(try handle.rows("SELECT name FROM schema_migrations").map { $0.string("name") })
            for migration in SQLiteMigration.all where !applied.contains(migration.name) {
                for statement in migration.statements { try handle.execute(statement) }
                try handle.rows(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    [.text(migration.name), .integer(Int(Timestamp.now.microseconds))]
                )
            }
            let failing = try handle.rows("SELECT endpoint_id FROM endpoint_failures")
            self.failingEndpoints.replace(with: failing.map { $0.string("endpoint_id") })
        }
    }

    // MARK: - RelationalStore

    public func read(_ query: SQLQueryString) async throws -> [any SQLRow] {
        let logger = self.logger
        let readers = self.readers
        do {
            return try await SQLiteHandleDatabase(
                run: { sql, binds in try await readers.run { try $0.rows(sql, binds) } },
                logger: logger
            ).rows(query)
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs a read given as SQL and binds (the backend's own statements) on a reader.
    func read(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteResultRow] {
        do {
            return try await readers.run { try $0.rows(sql, binds) }
        } catch {
            throw Self.translate(error)
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        let logger = self.logger
        return try await writer.write { handle in try await body(handle.database(logger: logger)) }
    }

    public func invalidate(_ tables: ChangedTables) {
        if tables.contains(.applications) { applicationCache.clear() }
        if tables.contains(.endpoints) { fanOutCache.clear() }
        if tables.contains(.sources) || tables.contains(.applications) { sourceCache.clear() }
    }

    public func deliveriesQueued() { workSignal.signal() }

    public func application(org: OrganizationID, idOrUID: String) async throws -> Application? {
        try await applicationCache.value(org.rawValue + "|" + idOrUID) {
            try await self.selectApplication(org: org, idOrUID: idOrUID)
        }
    }

    /// Every provider request starts here: found sources are kept until a source or application changes, the way
    /// applications are.
    public func source(idOrUID: String) async throws -> Source? {
        try await sourceCache.value(idOrUID) { try await self.selectSource(idOrUID: idOrUID) }
    }

    /// Turns a driver error into a domain error: a unique key refused becomes `StorageError.duplicate` naming the
    /// key, a database that cannot be written `StorageError.unavailable`.
    static func translate(_ error: any Error) -> any Error {
        if error is StorageError { return error }
        guard let failure = error as? SQLiteFailure else { return error }
        switch failure.primaryCode {
        case SQLITE_CONSTRAINT:
            let message = failure.message
            if message.contains(".idempotency_key") { return StorageError.duplicate("idempotencyKey") }
            if message.contains(".uid") { return StorageError.duplicate("uid") }
            if message.contains(".event_id") { return StorageError.duplicate("eventId") }
            if message.contains(".name") { return StorageError.duplicate("name") }
            return StorageError.duplicate("id")
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_MISUSE:
            return StorageError.unavailable(failure.message)
        default:
            return error
        }
    }
}
