//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
package import HookbirdStorage
package import SQLKit

extension ListRange {
    /// The key window of a list: ` AND key > after AND key < before ORDER BY key LIMIT n`.
    package func window(_ column: String) -> SQLQueryString {
        var sql: SQLQueryString = ""
        if let after { sql += " AND \(unsafeRaw: column) > \(bind: after)" }
        if let before { sql += " AND \(unsafeRaw: column) < \(bind: before)" }
        sql += " ORDER BY \(unsafeRaw: column) \(unsafeRaw: order == .ascending ? "ASC" : "DESC")"
        sql += " LIMIT \(literal: max(0, limit))"
        return sql
    }
}

/// Delivery statuses as SQL.
package enum DeliveryStatuses {
    /// Waiting or in flight: `(1, 3)`.
    package static let open: SQLQueryString =
        "(\(literal: MessageStatus.pending.rawValue), \(literal: MessageStatus.sending.rawValue))"
    package static let pending: SQLQueryString = "\(literal: MessageStatus.pending.rawValue)"
    package static let sending: SQLQueryString = "\(literal: MessageStatus.sending.rawValue)"
}
