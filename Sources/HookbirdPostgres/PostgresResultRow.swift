//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// A row of the backend's own statements, readable as SQLKit's `SQLRow` (what the shared decoders read): the types
/// the store reads are decoded straight from PostgreSQL's binary format, the rest through PostgresKit.
struct PostgresResultRow: SQLRow {
    private let row: PostgresRandomAccessRow
    private let original: PostgresRow

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
        self.original = row
    }

    /// PostgresKit's view of the row, for the other types.
    private var fallback: some SQLRow { original.sql() }

    var allColumns: [String] { row.map(\.columnName) }

    func contains(column: String) -> Bool { row.contains(column) }

    func decodeNil(column: String) throws -> Bool { !row.contains(column) || row[column].bytes == nil }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard row.contains(column) else { return try fallback.decode(column: column, as: D.self) }
        let cell = row[column]
        if D.self == String.self { return try cell.decode(String.self) as! D }
        if D.self == Int.self { return try cell.decode(Int.self) as! D }
        if D.self == Bool.self { return try cell.decode(Bool.self) as! D }
        if D.self == ByteBuffer.self { return try cell.decode(ByteBuffer.self) as! D }
        return try fallback.decode(column: column, as: D.self)
    }
}
