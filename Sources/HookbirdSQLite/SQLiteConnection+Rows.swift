//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import SQLiteNIO

extension SQLiteConnection {
    /// Runs one statement and returns its rows, also when the calling task is cancelled.
    ///
    /// SQLiteNIO's async `query` skips a statement whose task is cancelled before the thread pool takes it. A
    /// statement belongs to a transaction that ``SQLiteWriter`` writes for several callers: a statement skipped
    /// half-way would leave their transaction half done (and its `ROLLBACK` skipped as well). Every statement of the
    /// store goes through here: it runs through the async API, and when that skipped it, through the futures API,
    /// which does not look at cancellation.
    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        // Filled on the thread that runs the statement (the futures API: on the event loop, one row after the other),
        // read once that has finished.
        nonisolated(unsafe) var rows: [SQLiteRow] = []
        do {
            try await query(sql, binds) { rows.append($0) }
        } catch is CancellationError {
            // Thrown only when the thread pool skipped the statement (SQLite never throws it): nothing ran.
            rows = []
            try await query(sql, binds, logger: logger) { rows.append($0) }.get()
        }
        return rows
    }
}
