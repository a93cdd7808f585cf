//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdSQL
import HookbirdStorage
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import ServiceLifecycle
import Synchronization
import _ConnectionPoolModule

extension PostgresStore {
    // MARK: - Running queries

    /// Runs one statement on any pooled connection (in a transaction of its own) and returns its rows.
    func execute(_ query: PostgresQuery) async throws -> [any SQLRow] {
        do {
            return try await withConnection { connection in
                try await connection.query(query, logger: logger).collect().map(PostgresResultRow.init)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// The connections a call runs on.
    ///
    /// A commit on PostgreSQL (`synchronous_commit = on`, the default) waits until its WAL is flushed to disk: a
    /// millisecond or more of waiting per transaction, which the delivery engine's claims and attempt records,
    /// one transaction after the other, paid for every batch (measured: the drain of a backlog went at the pace of
    /// the disk, with a third of the two cores idle). As on SQLite (see `SQLiteWriter`), only what is acknowledged
    /// must wait for the disk: messages, API changes. The engine's bookkeeping runs on a pool of its own whose
    /// connections commit with `synchronous_commit = off`: a crash of the database can take back the claims and
    /// records of its last few hundred milliseconds (PostgreSQL's `wal_writer_delay` × 3 at most), and those
    /// deliveries are sent again: at least once. The database stays consistent either way.
    enum Pool {
        /// Commits wait for the disk.
        case durable
        /// Commits do not wait for the disk: the delivery engine's claims and attempt records.
        case bookkeeping
    }

    /// Connections in the ``Pool/bookkeeping`` pool: the engine runs one claim and one batch of records at a time,
    /// and an attempt's failure record beside them.
    static let bookkeepingConnections = 3

    /// Runs `body` in one transaction on one pooled connection: committed when it returns, rolled back when it
    /// throws.
    func transaction<T: Sendable>(
        on pool: Pool = .durable,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await withConnection(on: pool) { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let result = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    // On a lost connection the server has rolled back already, and a ROLLBACK sent into a closing
                    // connection may never be answered: send it only while the connection is usable.
                    let lost = (Self.translate(error) as? StorageError)?.isUnavailable ?? false
                    if !lost, !connection.isClosed {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                    }
                    throw error
                }
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs `body` on a pooled connection, failing with `StorageError.unavailable` when none is handed out within
    /// ``acquireTimeout``.
    ///
    /// While the server is unreachable, `PostgresClient` queues requests for a connection until its circuit
    /// breaker trips (a minute after the first failed connection attempt), so without a deadline an API request
    /// would hang for that long instead of answering 503. Only the wait for a connection is bounded: once `body`
    /// runs, it is not interrupted, so a commit is never cut off halfway and then reported as a failure.
    ///
    /// A statement sent just as the server goes away can wait for good, neither answered nor failed, and `body` with
    /// it. `PostgresConnection.query` (postgres-nio 1.33) writes its task with `channel.write(task, promise: nil)`;
    /// when the server's end of the connection has closed the channel and NIO has already taken the pipeline down,
    /// the write is dropped and the query's own promise is never completed (a retain cycle in `map` keeps NIO's
    /// leak check quiet). Traced in tests/cluster/test_outage.py: the last statement of a transaction completed, the
    /// server's "terminating connection due to immediate shutdown" notice and EOF followed, and the `COMMIT` (or, on
    /// another connection, a `BEGIN`) never reached the connection's handler. Callers that must not block for good
    /// bound their calls themselves, as the delivery engine does (`DeliveryConfiguration.storageTimeout`).
    func withConnection<T: Sendable>(
        on pool: Pool = .durable,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client = pool == .durable ? self.client : bookkeeping
        let timeout = acquireTimeout
        return try await withoutActuallyEscaping(body) { body in
            // The task group below finishes before this function returns, so `body` never outlives the call.
            nonisolated(unsafe) let body = body
            let acquired = AcquireFlag()
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        acquired.value.store(true, ordering: .relaxed)
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    guard acquired.value.load(ordering: .relaxed) else {
                        throw StorageError.unavailable("no PostgreSQL connection within \(timeout)")
                    }
                    return nil
                }
                while let result = try await group.next() {
                    if let value = result {
                        group.cancelAll()
                        return value
                    }
                }
                throw CancellationError()
            }
        }
    }

    /// The key each unique index guards, as ``StorageError/duplicate(_:)`` names it (see ``PostgresMigration``).
    static let uniqueKeys: [String: String] = [
        "applications_org_uid": "uid",
        "endpoints_app_uid": "uid",
        "sources_uid": "uid",
        "event_types_org_name": "name",
        "messages_app_event_id": "eventId",
        "messages_app_idempotency_key": "idempotencyKey",
        "inbound_requests_event": "eventId",
    ]

    /// Turns a driver error into a domain error, as `SQLiteStore` does: a unique violation becomes
    /// `StorageError.duplicate` naming the key (from the index's name), a lost or refused connection, or a pool
    /// that gave up connecting (`ConnectionPoolError`, which `PostgresClient` passes on as it is),
    /// `StorageError.unavailable`.
    static func translate(_ error: any Error) -> any Error {
        if error is StorageError { return error }
        if let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] {
            if state == "23505" {
                let constraint = error.serverInfo?[.constraintName] ?? ""
                return StorageError.duplicate(uniqueKeys[constraint] ?? "id")
            }
            // Connection exceptions, insufficient resources, operator intervention, read-only transaction.
            if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57") || state == "25006" {
                return StorageError.unavailable(error.serverInfo?[.message] ?? state)
            }
            return error
        }
        if let error = error as? _ConnectionPoolModule.ConnectionPoolError {
            // The pool gave up connecting (its circuit breaker is open) or is closing.
            return error == .requestCancelled ? CancellationError() : StorageError.unavailable("\(error)")
        }
        guard let error = error as? PSQLError else { return error }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown,
            .sslUnsupported, .failedToAddSSLHandler:
            return StorageError.unavailable(describe(error))
        default:
            return error
        }
    }
}


extension PostgresConnection {
    /// Runs a query inside a ``PostgresStore/transaction(_:)`` and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [any SQLRow] {
        try await self.query(query, logger: logger).collect().map(PostgresResultRow.init)
    }
}

extension PostgresStore {
    static func time(_ value: Timestamp) -> Int64 { value.microseconds }
}

/// A query put together piece by piece, with `$n` placeholders for its binds. A class, so that a bind can be made
/// while appending the text that uses it.
final class QueryBuilder {
    private var sql: String
    private var binds = PostgresBindings()

    init(_ sql: String) { self.sql = sql }

    func append(_ sql: String) { self.sql += sql }

    /// Binds a value and returns its placeholder.
    func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}

/// Whether a connection was handed out (see `PostgresStore.withConnection(_:)`).
private final class AcquireFlag: Sendable {
    let value = Atomic<Bool>(false)
}
