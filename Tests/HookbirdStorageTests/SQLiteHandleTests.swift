//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdStorage
import HookbirdTesting
import NIOCore
import SQLiteNIO
import Testing

@testable import HookbirdSQLite

@Suite("SQLite handle")
struct SQLiteHandleTests {
    func withHandle(maxStatements: Int = 512, _ body: (SQLiteHandle) throws -> Void) throws {
        try withTemporaryDirectory("hookbird-handle") { directory in
            let handle = try SQLiteHandle(path: directory.path("db.sqlite"), maxStatements: maxStatements)
            defer { handle.close() }
            try body(handle)
        }
    }

    /// Every column type round-trips through binds and rows; a statement runs again with other binds.
    @Test func valuesRoundTrip() throws {
        try withHandle { handle in
            try handle.execute("CREATE TABLE t (i INTEGER, f REAL, s TEXT, b BLOB, n TEXT)")
            for index in 0..<3 {
                try handle.rows(
                    "INSERT INTO t (i, f, s, b, n) VALUES (?, ?, ?, ?, ?)",
                    [.integer(index), .float(1.5), .text("é\(index)"), .blob(ByteBuffer(bytes: [0, 1, 255])), .null]
                )
            }
            let rows = try handle.rows("SELECT i, f, s, b, n FROM t WHERE i >= ? ORDER BY i", [.integer(1)])
            #expect(rows.map { $0["i"] } == [.integer(1), .integer(2)])
            #expect(rows[0]["f"] == .float(1.5))
            #expect(rows[0]["s"] == .text("é1"))
            #expect(rows[0]["b"] == .blob(ByteBuffer(bytes: [0, 1, 255])))
            #expect(rows[0]["n"] == .null)
            #expect(try rows[0].decode(column: "s", as: String.self) == "é1")
            #expect(try rows[0].decode(column: "i", as: Int.self) == 1)
            #expect(try rows[0].decodeNil(column: "n"))
        }
    }

    /// More distinct statements than the cache keeps: the oldest are finalized and prepared again when they come
    /// back, and every statement still gives its result.
    @Test func theStatementCacheEvicts() throws {
        try withHandle(maxStatements: 4) { handle in
            for round in 0..<3 {
                for value in 0..<10 {
                    let row = try handle.rows("SELECT \(value) + ? AS v", [.integer(round)]).first
                    #expect(row?["v"] == .integer(value + round))
                }
            }
        }
    }

    /// A refused statement throws with SQLite's code and message (which the store turns into a domain error), and
    /// the handle goes on working.
    @Test func errorsCarryTheirCode() throws {
        try withHandle { handle in
            try handle.execute("CREATE TABLE u (k TEXT PRIMARY KEY)")
            try handle.rows("INSERT INTO u (k) VALUES (?)", [.text("a")])
            do {
                try handle.rows("INSERT INTO u (k) VALUES (?)", [.text("a")])
                Issue.record("a duplicate key was accepted")
            } catch let failure as SQLiteFailure {
                #expect(failure.primaryCode == 19)  // SQLITE_CONSTRAINT
                #expect((SQLiteStore.translate(failure) as? StorageError)?.isDuplicate == true)
            }
            #expect(throws: SQLiteFailure.self) { try handle.rows("SELECT * FROM missing") }
            #expect(try handle.rows("SELECT count(*) AS n FROM u").first?["n"] == .integer(1))
        }
    }
}
