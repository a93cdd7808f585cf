//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO
import VaporCSQLite

/// The column names of a prepared statement, shared by every row it returns.
final class SQLiteColumns: Sendable {
    let names: [String]
    private let indexes: [String: Int]

    init(names: [String]) {
        self.names = names
        var indexes: [String: Int] = [:]
        for (index, name) in names.enumerated() where indexes[name] == nil { indexes[name] = index }
        self.indexes = indexes
    }

    func index(of name: String) -> Int? { indexes[name] }
}

/// A row a ``SQLiteHandle`` statement returned, readable as SQLKit's `SQLRow` (what the shared store decodes).
struct SQLiteResultRow: SQLRow, Sendable {
    let columns: SQLiteColumns
    let values: [SQLiteData]

    subscript(_ name: String) -> SQLiteData? { columns.index(of: name).map { values[$0] } }

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.index(of: column) != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let value = self[column] else { return true }
        return value.isNull
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let value = self[column] else { throw SQLiteFailure(code: SQLITE_RANGE, message: "no column \(column)") }
        // The types the store reads, without a decoder.
        switch value {
        case .text(let text) where D.self == String.self: return text as! D
        case .integer(let integer) where D.self == Int.self: return integer as! D
        case .integer(let integer) where D.self == Bool.self: return (integer != 0) as! D
        case .integer(let integer) where D.self == Int64.self: return Int64(integer) as! D
        case .blob(let buffer) where D.self == ByteBuffer.self: return buffer as! D
        case .text(let text) where D.self == ByteBuffer.self: return ByteBuffer(string: text) as! D
        default: return try SQLiteDataDecoder().decode(D.self, from: value)
        }
    }
}
