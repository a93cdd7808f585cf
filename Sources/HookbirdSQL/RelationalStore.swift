//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
public import SQLKit

/// The relational store, written once for every SQL backend.
///
/// The tables are the same on SQLite and PostgreSQL (JSON as text, times as microseconds since 1970, booleans that
/// SQLite keeps as 0/1), so everything that is the same SQL in substance lives here, in extensions of this protocol:
/// applications, event types, endpoints, attempts, settings, sources, idempotency keys, dashboard sessions,
/// statistics, recover and replay. SQLKit renders each statement for the backend's dialect (placeholders, quoting);
/// what really differs between the databases (claims, the writer and group commit on SQLite, `LISTEN`/`NOTIFY` and
/// prepared hot paths on PostgreSQL, migrations) stays in the backend, which implements only the requirements below
/// and the queue's hot paths.
///
/// A backend conforms and gets every store method that it does not implement itself:
///
/// ```swift
/// final class SQLiteStore: RelationalStore {
///     func read(_ query: SQLQueryString) async throws -> [any SQLRow] { … }      // a reader connection
///     func transaction<T>(_ body: …) async throws -> T { … }                     // the single writer
/// }
/// ```
public protocol RelationalStore: HookbirdStore {
    /// Runs one statement that only reads, on any connection, and returns its rows.
    /// - Throws: ``StorageError`` (driver errors are translated).
    func read(_ query: SQLQueryString) async throws -> [any SQLRow]

    /// Runs `body` in one write transaction: when this returns, the transaction has committed (durably, as the
    /// backend's durability says); when `body` throws, nothing of it was written and the error is rethrown.
    /// - Throws: ``StorageError`` (driver errors are translated), or what `body` throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs one statement as a write transaction of its own and returns its rows. The default runs it in
    /// ``transaction(_:)``; a backend that commits a lone statement by itself (PostgreSQL) saves the `BEGIN`/`COMMIT`.
    @discardableResult
    func write(_ query: SQLQueryString) async throws -> [any SQLRow]

    /// What the database speaks beyond SQLKit's dialects (JSON functions, row locks).
    var flavor: SQLFlavor { get }

    /// Told that rows of `tables` changed: inside the transaction that changes them and again once it has ended, so
    /// that caches of what the process read drop it. Default: nothing (a backend without caches).
    func invalidate(_ tables: ChangedTables)

    /// Told, once the transaction has committed, that deliveries were queued in the table, so that delivery engines
    /// claim them (this process's at once, other nodes' through the backend's wake-up).
    func deliveriesQueued()

    /// A condition (` AND …` on `deliveries`) that leaves out the deliveries this process may not claim (a listener
    /// connected to another node); by default none.
    func claimableFilter(now: Timestamp) -> SQLQueryString
}

extension RelationalStore {
    @discardableResult
    public func write(_ query: SQLQueryString) async throws -> [any SQLRow] {
        try await transaction { database in try await database.rows(query) }
    }

    public func invalidate(_ tables: ChangedTables) {}

    public func claimableFilter(now: Timestamp) -> SQLQueryString { "" }
}

/// Where the two databases' SQL differs beyond what SQLKit's dialects render.
public enum SQLFlavor: Sendable, Hashable {
    case sqlite
    case postgres

    /// `column` (a JSON array as text, or NULL) contains `value` (a bound string).
    package func jsonArray(_ column: String, contains value: String) -> SQLQueryString {
        switch self {
        case .sqlite: "EXISTS (SELECT 1 FROM json_each(\(unsafeRaw: column)) WHERE value = \(bind: value))"
        case .postgres: "(\(unsafeRaw: column) IS NOT NULL AND jsonb_exists(\(unsafeRaw: column)::jsonb, \(bind: value)))"
        }
    }

    /// Locks the rows a `SELECT` reads until the transaction ends, where the database has row locks (PostgreSQL);
    /// SQLite's single writer serialises write transactions anyway.
    package var forUpdate: SQLQueryString {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR UPDATE"
        }
    }
}

/// Tables whose rows a write changed, for ``RelationalStore/invalidate(_:)``.
public struct ChangedTables: OptionSet, Sendable, Hashable {
    public let rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let applications = ChangedTables(rawValue: 1 << 0)
    public static let endpoints = ChangedTables(rawValue: 1 << 1)
    public static let sources = ChangedTables(rawValue: 1 << 2)
}

extension RelationalStore {
    /// Runs `body` in one write transaction that changes `tables`, telling ``invalidate(_:)`` inside it and after it.
    @discardableResult
    package func changing<T: Sendable>(
        _ tables: ChangedTables,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        defer { invalidate(tables) }
        return try await transaction { database in
            self.invalidate(tables)
            return try await body(database)
        }
    }
}
