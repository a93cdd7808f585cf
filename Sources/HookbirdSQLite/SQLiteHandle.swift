//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import NIOCore
import SQLiteNIO
import VaporCSQLite

/// One SQLite connection opened through the C functions SQLiteNIO bundles (`sqlite_nio_sqlite3_*`), which keeps
/// every statement it runs prepared for the next time.
///
/// SQLiteNIO prepares each statement anew and runs each one on a thread pool, hopping threads per statement; its
/// connection handle is internal. The writer runs the same few statements thousands of times a second on a thread
/// of its own, so it opens its own handle: statements are parsed and planned once per connection
/// (`SQLITE_PREPARE_PERSISTENT`), then only bound, stepped and reset.
///
/// A handle is not thread-safe and is never used by two threads at once: the writer's handle only by the writing
/// task (on the writer's thread), a reader's under its lock (see ``SQLiteReaders``).
final class SQLiteHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    /// Prepared statements by SQL text, and the order they were prepared in (the oldest are finalized first).
    private var statements: [String: PreparedStatement] = [:]
    private var order: [String] = []
    private let maxStatements: Int
    let path: String

    /// Opens (creating if needed) the database file.
    /// - Parameters:
    ///   - path: The file.
    ///   - maxStatements: How many prepared statements are kept.
    init(path: String, maxStatements: Int = 512) throws {
        self.path = path
        self.maxStatements = maxStatements
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "error \(status)"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteFailure(code: status, message: message)
        }
        sqlite_nio_sqlite3_extended_result_codes(handle, 1)
        // Another connection writing (a checkpoint, or the writer while a reader starts) is waited for, as long as
        // it takes, as SQLiteNIO's connections do.
        sqlite_nio_sqlite3_busy_handler(handle, { _, _ in 1 }, nil)
        db = handle
    }

    deinit { close() }

    /// Finalizes every statement and closes the connection.
    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.pointer) }
        statements = [:]
        order = []
        if let db { sqlite_nio_sqlite3_close(db) }
        db = nil
    }

    /// Runs one statement with `binds` and returns its rows.
    /// - Throws: ``SQLiteFailure``.
    @discardableResult
    func rows(_ sql: String, _ binds: [SQLiteData] = []) throws -> [SQLiteResultRow] {
        let statement = try prepared(sql)
        let pointer = statement.pointer
        defer {
            sqlite_nio_sqlite3_reset(pointer)
            sqlite_nio_sqlite3_clear_bindings(pointer)
        }
        for (index, value) in binds.enumerated() {
            try check(bind(value, at: Int32(index + 1), of: pointer))
        }
        var rows: [SQLiteResultRow] = []
        while true {
            let status = sqlite_nio_sqlite3_step(pointer)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw failure(status) }
            var values: [SQLiteData] = []
            values.reserveCapacity(statement.columns.names.count)
            for index in 0..<Int32(statement.columns.names.count) { values.append(value(at: index, of: pointer)) }
            rows.append(SQLiteResultRow(columns: statement.columns, values: values))
        }
        return rows
    }

    /// Runs statements that take no binds and return nothing, e.g. `PRAGMA`s and DDL.
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite_nio_sqlite3_exec(db, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "error \(status)"
            sqlite_nio_sqlite3_free(message)
            throw SQLiteFailure(code: status, message: text)
        }
    }

    // MARK: - Statements

    private struct PreparedStatement {
        let pointer: OpaquePointer
        let columns: SQLiteColumns
    }

    private func prepared(_ sql: String) throws -> PreparedStatement {
        if let statement = statements[sql] { return statement }
        guard let db else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
        var pointer: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw failure(status) }
        let count = sqlite_nio_sqlite3_column_count(pointer)
        let names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(pointer, $0)) }
        let statement = PreparedStatement(pointer: pointer, columns: SQLiteColumns(names: names))
        if order.count >= maxStatements {
            // Forget the older half; what is still in use is prepared again.
            for old in order.prefix(maxStatements / 2) {
                if let evicted = statements.removeValue(forKey: old) { sqlite_nio_sqlite3_finalize(evicted.pointer) }
            }
            order.removeFirst(maxStatements / 2)
        }
        statements[sql] = statement
        order.append(sql)
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, of statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let integer):
            return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(integer))
        case .float(let double):
            return sqlite_nio_sqlite3_bind_double(statement, index, double)
        case .text(let text):
            var text = text
            return text.withUTF8 { utf8 in
                sqlite_nio_sqlite3_bind_text64(
                    statement,
                    index,
                    utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                    UInt64(utf8.count),
                    Self.transient,
                    UInt8(SQLITE_UTF8)
                )
            }
        case .blob(let buffer):
            return buffer.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress, UInt64(bytes.count), Self.transient)
            }
        case .null:
            return sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private func value(at index: Int32, of statement: OpaquePointer) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, index)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            guard let text = sqlite_nio_sqlite3_column_text(statement, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let blob = sqlite_nio_sqlite3_column_blob(statement, index) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: blob, count: count))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw failure(status) }
    }

    private func failure(_ status: Int32) -> SQLiteFailure {
        let message = db.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "error \(status)"
        let code = db.map { sqlite_nio_sqlite3_extended_errcode($0) } ?? status
        return SQLiteFailure(code: code, message: message)
    }

    /// `SQLITE_TRANSIENT`: SQLite copies what is bound.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// An error SQLite reported: its (extended) result code and message.
struct SQLiteFailure: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    /// The primary result code (`SQLITE_CONSTRAINT`, `SQLITE_BUSY`, …).
    var primaryCode: Int32 { code & 0xFF }

    var description: String { "SQLite error \(code): \(message)" }
}
