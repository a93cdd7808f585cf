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
    private let nextReader = Atomic<Int>(0)
    let logger: Logger
    public let workSignal = WorkSignal()
    /// Applications found by `(org, id or uid)`. This process is the database's only writer, so every change of
    /// an application goes through it and clears the cache (bumping its generation, so a read that raced with the
    /// change does not put the old row back). Misses are not cached.
    let applicationCache = Mutex<(generation: Int, entries: [String: Application])>((0, [:]))
    /// The fan-out filters of each application's live endpoints, read and cleared only inside writer jobs (which
    /// run one at a time), so message inserts skip a query. Every job that changes endpoints clears it.
    let fanOutCache: FanOutCache
    /// Endpoints that have a row in `endpoint_failures`, so a success to any other endpoint skips the delete.
    /// Loaded by ``migrate()``; changed only inside writer jobs.
    let failingEndpoints = EndpointSet()

    private init(writeConnection: SQLiteConnection, readers: [SQLiteConnection], logger: Logger) {
        self.writeConnection = writeConnection
        self.readers = readers
        let fanOutCache = FanOutCache()
        self.fanOutCache = fanOutCache
        self.writer = SQLiteWriter(
            connection: writeConnection,
            logger: logger,
            onRollback: { fanOutCache.clear() },
            mergedOperation: { items, connection in
                try await Self.insertMessages(items.map { $0 as! Message }, on: connection, cache: fanOutCache)
            }
        )
        self.logger = logger
    }

    /// Opens (creating if needed) the database file.
    /// - Parameters:
    ///   - path: The file; `:memory:` is refused since readers need the same database.
    ///   - durability: `full` (fsync on every commit) or `normal`.
    ///   - readers: Number of read connections.
    ///   - logger: Where the store logs.
    public static func open(
        path: String,
        durability: Durability = .full,
        readers readerCount: Int = 2,
        logger: Logger = Logger(label: "hookbird.sqlite")
    ) async throws -> SQLiteStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw StorageError.unavailable("the directory \(directory) does not exist")
        }
        do {
            let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            _ = try await writer.query("PRAGMA journal_mode = WAL", [])
            _ = try await writer.query("PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")", [])
            _ = try await writer.query("PRAGMA foreign_keys = ON", [])
            var readers: [SQLiteConnection] = []
            for _ in 0..<max(1, readerCount) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                _ = try await reader.query("PRAGMA query_only = ON", [])
                readers.append(reader)
            }
            return SQLiteStore(writeConnection: writer, readers: readers, logger: logger)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.unavailable("cannot open SQLite database at \(path): \(error)")
        }
    }

    public func close() async throws {
        for reader in readers { try await reader.close() }
        try await writeConnection.close()
    }

    public func migrate() async throws {
        try await writer.write { connection in
            _ = try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
                []
            )
            let applied = Set(
                try await connection.query("SELECT name FROM schema_migrations", []).compactMap {
                    $0.column("name")?.string
                }
            )
            for migration in SQLiteMigration.all where !applied.contains(migration.name) {
                for statement in migration.statements { _ = try await connection.query(statement, []) }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    [.text(migration.name), .integer(Int(Timestamp.now.microseconds))]
                )
            }
            let failing = try await connection.query("SELECT endpoint_id FROM endpoint_failures", [])
            self.failingEndpoints.replace(with: failing.map { $0.string("endpoint_id") })
        }
    }

    /// Runs a read on one of the read connections.
    func read(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        do {
            return try await readers[index % readers.count].query(sql, binds)
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

/// The endpoints a message of an application may fan out to: id, event-type filter, channel filter.
final class FanOutCache: Sendable {
    struct Target: Sendable {
        let id: String
        let eventTypes: [String]?
        let channels: [String]?
    }

    private let entries = Mutex<[String: [Target]]>([:])

    func targets(_ app: String) -> [Target]? { entries.withLock { $0[app] } }

    func store(_ targets: [Target], for app: String) {
        entries.withLock { entries in
            if entries.count >= 10_000 { entries.removeAll() }
            entries[app] = targets
        }
    }

    func clear() { entries.withLock { $0.removeAll() } }
}

/// A set of endpoint ids shared between tasks.
final class EndpointSet: Sendable {
    private let ids = Mutex<Set<String>>([])

    func insert(_ id: String) { _ = ids.withLock { $0.insert(id) } }

    /// Removes the id; `true` when it was there.
    func remove(_ id: String) -> Bool { ids.withLock { $0.remove(id) != nil } }

    func replace(with ids: [String]) { self.ids.withLock { $0 = Set(ids) } }
}
