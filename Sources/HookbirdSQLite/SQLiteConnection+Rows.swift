//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import SQLiteNIO

extension SQLiteConnection {
    /// Runs one statement and returns its rows.
    ///
    /// The statement runs on the connection's thread pool and its caller resumes from there, through the
    /// connection's own async `query(_:_:_:)`. The array-returning `query(_:_:)` that `SQLiteDatabase` offers goes
    /// through the futures API instead: every row is handed to the event loop one by one, and the result hops from
    /// the thread pool to the event loop and on to the caller's executor (three thread wake-ups per statement, plus
    /// one per row, where this costs one).
    ///
    /// Like every async call into the thread pool it honours cancellation: a cancelled task's statement does not
    /// run (``SQLiteWriter`` writes its transactions in a task of their own, so that one caller's cancellation
    /// cannot break a transaction shared by others).
    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        // Filled on the pool thread that runs the statement, read once that has finished.
        nonisolated(unsafe) var rows: [SQLiteRow] = []
        try await query(sql, binds) { rows.append($0) }
        return rows
    }
}
