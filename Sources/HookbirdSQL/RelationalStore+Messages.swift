//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLKit

extension RelationalStore {
    public func message(app: ApplicationID, idOrEventID: String) async throws -> Message? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.messageColumns) FROM messages
            WHERE app_id = \(bind: app.rawValue) AND (id = \(bind: idOrEventID) OR event_id = \(bind: idOrEventID))
            ORDER BY id = \(bind: idOrEventID) DESC LIMIT 1
            """
        ).first.map { StoredRows.message($0) }
    }

    public func message(app: ApplicationID, idempotencyKey: String) async throws -> Message? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.messageColumns) FROM messages
            WHERE app_id = \(bind: app.rawValue) AND idempotency_key = \(bind: idempotencyKey)
            """
        ).first.map { StoredRows.message($0) }
    }

    public func listMessages(app: ApplicationID, filter: MessageFilter, range: ListRange) async throws -> [Message] {
        var sql: SQLQueryString =
            "SELECT \(unsafeRaw: StoredRows.messageColumns) FROM messages WHERE app_id = \(bind: app.rawValue)"
        if let eventTypes = filter.eventTypes, !eventTypes.isEmpty { sql += " AND event_type IN (\(binds: eventTypes))" }
        if let channel = filter.channel { sql += " AND \(flavor.jsonArray("messages.channels", contains: channel))" }
        return try await read(sql + range.window("id")).map { StoredRows.message($0) }
    }
}
