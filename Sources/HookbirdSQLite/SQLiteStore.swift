//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
public import HookbirdStorage
public import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// The embedded backend: one SQLite file in WAL mode, one writer with group commit, a few readers.
///
/// ```swift
/// let store = try await SQLiteStore.open(path: "hookbird.sqlite", durability: .full, logger: logger)
/// try await store.migrate()
/// ```
public final class SQLiteStore: HookbirdStore {
    /// How hard a commit waits for the disk.
    public enum Durability: String, Sendable, CaseIterable {
        /// `synchronous=FULL`: a commit survives power loss. The default.
        case full
        /// `synchronous=NORMAL`: a commit survives a crash of the process, but the last commits may be lost on
        /// power loss.
        case normal
    }

    let writer: SQLiteWriter
    private let writeConnection: SQLiteConnection
    private let readers: [SQLiteConnection]
    /// Checkpoints the WAL into the database file, beside the writer (see ``checkpoints(every:)``).
    private let checkpointConnection: SQLiteConnection
    private let checkpointTask = Mutex<Task<Void, Never>?>(nil)
    /// The threads of the writer and of the checkpoints, one each, so that neither waits for a thread behind
    /// reads or the other (the readers use NIO's shared pool).
    private let threadPools: [NIOThreadPool]
    private let nextReader = Atomic<Int>(0)
    let logger: Logger
    public let workSignal: WorkSignal
    /// This process is the database's only user, so fresh deliveries go straight to its delivery engine.
    public let handOff: DeliveryHandOff?
    /// Every call runs on local threads and ends, with a result or an error: the delivery engine needs no deadline.
    public var callsMayStall: Bool { false }
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

    /// Message inserts of one transaction are merged (see ``insertMessages(_:on:cache:recent:secrets:handOff:)``).
    static let messageInsert = SQLiteWriter.MergeKind(name: "message insert")
    /// Successful delivery completions of one transaction are merged (see ``completeSucceeded(_:on:failing:)``).
    static let successfulCompletion = SQLiteWriter.MergeKind(name: "successful completion")
    /// Providers' requests recorded in one transaction are merged (see
    /// ``recordInboundRequests(_:on:cache:recent:secrets:handOff:)``).
    static let inboundRecord = SQLiteWriter.MergeKind(name: "inbound record")

    private init(
        writeConnection: SQLiteConnection,
        readers: [SQLiteConnection],
        checkpointConnection: SQLiteConnection,
        writerThread: NIOThreadPool,
        checkpointThread: NIOThreadPool,
        durability: Durability,
        secrets: SecretsCipher,
        logger: Logger
    ) {
        self.secrets = secrets
        self.writeConnection = writeConnection
        self.readers = readers
        self.checkpointConnection = checkpointConnection
        self.threadPools = [writerThread, checkpointThread]
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
            connection: writeConnection,
            threadPool: writerThread,
            logger: logger,
            synchronousFull: durability == .full,
            onRollback: { fanOutCache.clear() },
            mergedOperations: [
                Self.messageInsert: { items, connection in
                    try await Self.insertMessages(
                        items.map { $0 as! Message },
                        on: connection,
                        cache: fanOutCache,
                        recent: recentMessages,
                        secrets: secrets,
                        handOff: handOff
                    )
                },
                Self.inboundRecord: { items, connection in
                    try await Self.recordInboundRequests(
                        items.map { $0 as! InboundRecord },
                        on: connection,
                        cache: fanOutCache,
                        recent: recentMessages,
                        secrets: secrets,
                        handOff: handOff
                    )
                },
                Self.successfulCompletion: { items, connection in
                    try await Self.completeSucceeded(
                        items.map { $0 as! TimedCompletion },
                        on: connection,
                        failing: failingEndpoints
                    )
                },
            ]
        )
        self.logger = logger
    }

    /// Opens (creating if needed) the database file.
    /// - Parameters:
    ///   - path: The file; `:memory:` is refused since readers need the same database.
    ///   - durability: `full` (fsync on every commit) or `normal`.
    ///   - readers: Number of read connections.
    ///   - secrets: Seals secrets at rest (see ``SecretsCipher``); by default they are stored as they are.
    ///   - logger: Where the store logs.
    public static func open(
        path: String,
        durability: Durability = .full,
        readers readerCount: Int = 2,
        secrets: SecretsCipher = .plaintext,
        logger: Logger = Logger(label: "hookbird.sqlite")
    ) async throws -> SQLiteStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw StorageError.unavailable("the directory \(directory) does not exist")
        }
        let writerThread = NIOThreadPool(numberOfThreads: 1)
        let checkpointThread = NIOThreadPool(numberOfThreads: 1)
        writerThread.start()
        checkpointThread.start()
        do {
            let eventLoops = MultiThreadedEventLoopGroup.singleton
            let synchronous = "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")"
            let writer = try await SQLiteConnection.open(
                storage: .file(path: path),
                threadPool: writerThread,
                logger: logger,
                on: eventLoops.any()
            )
            _ = try await writer.rows("PRAGMA journal_mode = WAL", [])
            _ = try await writer.rows(synchronous, [])
            _ = try await writer.rows("PRAGMA foreign_keys = ON", [])
            // The commit that crosses SQLite's checkpoint threshold would copy the WAL into the database file
            // (and fsync it) while every later write waits; a connection of its own does it instead.
            _ = try await writer.rows("PRAGMA wal_autocheckpoint = 0", [])
            var readers: [SQLiteConnection] = []
            for _ in 0..<max(1, readerCount) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                _ = try await reader.rows("PRAGMA query_only = ON", [])
                readers.append(reader)
            }
            let checkpointer = try await SQLiteConnection.open(
                storage: .file(path: path),
                threadPool: checkpointThread,
                logger: logger,
                on: eventLoops.any()
            )
            _ = try await checkpointer.rows(synchronous, [])
            let store = SQLiteStore(
                writeConnection: writer,
                readers: readers,
                checkpointConnection: checkpointer,
                writerThread: writerThread,
                checkpointThread: checkpointThread,
                durability: durability,
                secrets: secrets,
                logger: logger
            )
            store.checkpoints(every: .milliseconds(500))
            return store
        } catch let error as StorageError {
            try? await writerThread.shutdownGracefully()
            try? await checkpointThread.shutdownGracefully()
            throw error
        } catch {
            try? await writerThread.shutdownGracefully()
            try? await checkpointThread.shutdownGracefully()
            throw StorageError.unavailable("cannot open SQLite database at \(path): \(error)")
        }
    }

    public func close() async throws {
        if let task = checkpointTask.withLock({ $0.take() }) {
            task.cancel()
            await task.value
        }
        try await checkpointConnection.close()
        for reader in readers { try await reader.close() }
        await writer.close()
        try await writeConnection.close()
        for pool in threadPools { try await pool.shutdownGracefully() }
    }

    /// Copies the WAL into the database file every `interval`, without holding up the writer (a passive
    /// checkpoint: it takes what has been committed and waits for nobody). Once everything is copied, the next
    /// transaction starts the WAL file over, so it stays small.
    private func checkpoints(every interval: Duration) {
        let connection = checkpointConnection
        let logger = logger
        checkpointTask.withLock { task in
            task = Task {
                var failed = false
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard !Task.isCancelled else { break }
                    do {
                        _ = try await connection.rows("PRAGMA wal_checkpoint(PASSIVE)", [])
                        failed = false
                    } catch {
                        if !failed { logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"]) }
                        failed = true
                    }
                }
            }
        }
    }

    public func migrate() async throws {
        try await writer.write { connection in
            _ = try await connection.rows(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
                []
            )
            let applied = Set(
                try await connection.rows("SELECT name FROM schema_migrations", []).compactMap {
                    $0.column("name")?.string
                }
            )
            for migration in SQLiteMigration.all where !applied.contains(migration.name) {
                for statement in migration.statements { _ = try await connection.rows(statement, []) }
                _ = try await connection.rows(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    [.text(migration.name), .integer(Int(Timestamp.now.microseconds))]
                )
            }
            let failing = try await connection.rows("SELECT endpoint_id FROM endpoint_failures", [])
            self.failingEndpoints.replace(with: failing.map { $0.string("endpoint_id") })
        }
    }

    /// Runs a read on one of the read connections.
    func read(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        do {
            return try await readers[index % readers.count].rows(sql, binds)
        } catch {
            throw Self.translate(error)
        }
    }

    /// Turns a driver error into a domain error.
    static func translate(_ error: any Error) -> any Error {
        if error is StorageError { return error }
        guard let sqlite = error as? SQLiteError else { return error }
        switch sqlite.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraint:
            let message = sqlite.message
            if message.contains(".idempotency_key") { return StorageError.duplicate("idempotencyKey") }
            if message.contains(".uid") { return StorageError.duplicate("uid") }
            if message.contains(".event_id") { return StorageError.duplicate("eventId") }
            if message.contains(".name") { return StorageError.duplicate("name") }
            return StorageError.duplicate("id")
        case .busy, .locked, .full, .ioError, .readOnly, .cantOpen:
            return StorageError.unavailable(sqlite.message)
        default:
            return error
        }
    }
}

// MARK: - Encoding helpers

extension SQLiteStore {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json(_ value: some Encodable) -> SQLiteData {
        // Encoding string maps and arrays of strings cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return .text(String(decoding: data, as: UTF8.self))
    }

    static func jsonOrNull(_ value: (some Encodable)?) -> SQLiteData {
        guard let value else { return .null }
        return json(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: SQLiteData?) -> T? {
        guard let text = data?.string else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    static func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }

    /// A secret as stored: sealed with the store's key (see ``SecretsCipher``).
    func sealed(_ text: String) throws -> SQLiteData { .text(try secrets.seal(text)) }

    /// A value holding secrets, as JSON text sealed with the store's key.
    func sealedJSON(_ value: some Encodable) throws -> SQLiteData {
        try sealed(Self.json(value).string ?? "null")
    }
    static func int(_ value: Int?) -> SQLiteData { value.map { .integer($0) } ?? .null }
    static func time(_ value: Timestamp) -> SQLiteData { .integer(Int(value.microseconds)) }

    /// The `WHERE` part and binds for a key window.
    static func window(_ column: String, _ range: ListRange) -> (sql: String, binds: [SQLiteData], order: String) {
        var sql = ""
        var binds: [SQLiteData] = []
        if let after = range.after {
            sql += " AND \(column) > ?"
            binds.append(.text(after))
        }
        if let before = range.before {
            sql += " AND \(column) < ?"
            binds.append(.text(before))
        }
        let order = " ORDER BY \(column) \(range.order == .ascending ? "ASC" : "DESC") LIMIT \(max(0, range.limit))"
        return (sql, binds, order)
    }
}

extension SQLiteRow: StoredRow {
    func string(_ name: String) -> String { column(name)?.string ?? "" }
    func optionalString(_ name: String) -> String? {
        guard let data = column(name), !data.isNull else { return nil }
        return data.string
    }
    func int(_ name: String) -> Int { column(name)?.integer ?? 0 }
    func optionalInt(_ name: String) -> Int? {
        guard let data = column(name), !data.isNull else { return nil }
        return data.integer
    }
    func bool(_ name: String) -> Bool { int(name) != 0 }
    func bytes(_ name: String) -> [UInt8] {
        guard var buffer = column(name)?.blob else { return [] }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}

/// The live (not deleted, not disabled) endpoints that fan-out and claims read, kept between writer jobs: by
/// application, and by id. Every job that changes an endpoint clears it.
final class FanOutCache: Sendable {
    private let entries = Mutex<(byApp: [String: [Endpoint]], byID: [String: Endpoint])>(([:], [:]))

    /// The application's live endpoints, if they were read since the last change.
    func targets(_ app: String) -> [Endpoint]? { entries.withLock { $0.byApp[app] } }

    func store(_ targets: [Endpoint], for app: String) {
        entries.withLock { entries in
            if entries.byApp.count >= 10_000 || entries.byID.count >= 50_000 { entries = ([:], [:]) }
            entries.byApp[app] = targets
            for endpoint in targets { entries.byID[endpoint.id.rawValue] = endpoint }
        }
    }

    /// The live endpoint with this id, if it was read since the last change.
    func endpoint(_ id: String) -> Endpoint? { entries.withLock { $0.byID[id] } }

    func store(live endpoint: Endpoint) {
        entries.withLock { entries in
            if entries.byID.count >= 50_000 { entries = ([:], [:]) }
            entries.byID[endpoint.id.rawValue] = endpoint
        }
    }

    func clear() { entries.withLock { $0 = ([:], [:]) } }
}

/// The messages inserted last, oldest dropped first, up to a total payload size and count.
final class RecentMessages: Sendable {
    private struct State {
        var messages: [String: Message] = [:]
        var order: [String] = []
        var head = 0
        var bytes = 0
    }

    private let state = Mutex(State())
    private let maxBytes: Int
    private let maxCount: Int

    init(maxBytes: Int = 32 << 20, maxCount: Int = 50_000) {
        self.maxBytes = maxBytes
        self.maxCount = maxCount
    }

    func message(_ id: String) -> Message? { state.withLock { $0.messages[id] } }

    func insert(_ messages: [Message]) {
        state.withLock { state in
            for message in messages {
                guard state.messages.updateValue(message, forKey: message.id.rawValue) == nil else { continue }
                state.order.append(message.id.rawValue)
                state.bytes += message.payload.utf8.count
            }
            while state.messages.count > maxCount || state.bytes > maxBytes, state.head < state.order.count {
                if let old = state.messages.removeValue(forKey: state.order[state.head]) {
                    state.bytes -= old.payload.utf8.count
                }
                state.head += 1
            }
            if state.head > 4096, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }
}

/// Rows found by key and kept until the next change. This process is the database's only writer, so every change
/// goes through it and clears the cache; a clear bumps the generation, so a read that raced with a change does not
/// put the old row back. Misses are not kept.
final class ReadCache<Value: Sendable>: Sendable {
    private let state = Mutex<(generation: Int, entries: [String: Value])>((0, [:]))

    /// The kept value for `key`, or what `read` finds (kept unless the cache was cleared meanwhile).
    func value(_ key: String, read: () async throws -> Value?) async throws -> Value? {
        let (generation, cached) = state.withLock { ($0.generation, $0.entries[key]) }
        if let cached { return cached }
        guard let found = try await read() else { return nil }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= 10_000 { state.entries.removeAll() }
            state.entries[key] = found
        }
        return found
    }

    func clear() {
        state.withLock { state in
            state.generation += 1
            state.entries.removeAll()
        }
    }
}

/// A set of endpoint ids shared between tasks.
final class EndpointSet: Sendable {
    private let ids = Mutex<Set<String>>([])

    func insert(_ id: String) { _ = ids.withLock { $0.insert(id) } }

    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }

    /// Removes the id; `true` when it was there.
    func remove(_ id: String) -> Bool { ids.withLock { $0.remove(id) != nil } }

    func replace(with ids: [String]) { self.ids.withLock { $0 = Set(ids) } }
}
