//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

package import SQLKit
import Synchronization

extension SQLDatabase {
    /// Runs one statement and returns its rows.
    @discardableResult
    package func rows(_ query: SQLQueryString) async throws -> [any SQLRow] {
        let collected = RowCollector()
        try await execute(sql: query) { collected.append($0) }
        return collected.rows
    }
}

/// The rows a statement hands over one by one (SQLKit's callback is `@Sendable`).
private final class RowCollector: Sendable {
    private let storage = Mutex<[any SQLRow]>([])

    func append(_ row: any SQLRow) { storage.withLock { $0.append(row) } }

    var rows: [any SQLRow] { storage.withLock { $0 } }
}
