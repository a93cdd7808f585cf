//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    static let attemptColumns = StoredRows.attemptColumns

    static func attempt(_ row: SQLiteRow) -> MessageAttempt { StoredRows.attempt(row) }

    public func listAttempts(app: ApplicationID, filter: AttemptFilter, range: ListRange) async throws
        -> [MessageAttempt]
    {
        var sql = "SELECT \(Self.attemptColumns) FROM attempts a"
        var binds: [SQLiteData] = []
        let needsMessage = (filter.eventTypes?.isEmpty == false) || filter.channel != nil
        if needsMessage { sql += " JOIN messages m ON m.id = a.msg_id" }
        sql += " WHERE a.app_id = ?"
        binds.append(.text(app.rawValue))
        if let endpointID = filter.endpointID {
            sql += " AND a.endpoint_id = ?"
            binds.append(.text(endpointID.rawValue))
        }
        if let messageID = filter.messageID {
            sql += " AND a.msg_id = ?"
            binds.append(.text(messageID.rawValue))
        }
        if let status = filter.status {
            sql += " AND a.status = ?"
            binds.append(.integer(status.rawValue))
        }
        if let statusCodeClass = filter.statusCodeClass {
            let lower = statusCodeClass == 0 ? 0 : statusCodeClass
            let upper = statusCodeClass == 0 ? 99 : statusCodeClass + 99
            sql += " AND a.response_status_code BETWEEN ? AND ?"
            binds += [.integer(lower), .integer(upper)]
        }
        if let eventTypes = filter.eventTypes, !eventTypes.isEmpty {
            sql += " AND m.event_type IN (\(Array(repeating: "?", count: eventTypes.count).joined(separator: ", ")))"
            binds += eventTypes.map { .text($0) }
        }
        if let channel = filter.channel {
            sql += " AND EXISTS (SELECT 1 FROM json_each(m.channels) WHERE value = ?)"
            binds.append(.text(channel))
        }
        let window = Self.window("a.id", range)
        return try await read(sql + window.sql + window.order, binds + window.binds).map(Self.attempt)
    }

    public func attempt(app: ApplicationID, message: MessageID, id: AttemptID) async throws -> MessageAttempt? {
        try await read(
            "SELECT \(Self.attemptColumns) FROM attempts a WHERE a.app_id = ? AND a.msg_id = ? AND a.id = ?",
            [.text(app.rawValue), .text(message.rawValue), .text(id.rawValue)]
        ).first.map(Self.attempt)
    }

    public func deliveryCounts(endpoint: EndpointID, since: Timestamp, until: Timestamp) async throws
        -> [MessageStatus: Int]
    {
        try await counts(table: "deliveries", endpoint: endpoint, since: since, until: until)
    }

    public func attemptCounts(endpoint: EndpointID, since: Timestamp, until: Timestamp) async throws
        -> [MessageStatus: Int]
    {
        try await counts(table: "attempts", endpoint: endpoint, since: since, until: until)
    }

    private func counts(table: String, endpoint: EndpointID, since: Timestamp, until: Timestamp) async throws
        -> [MessageStatus: Int]
    {
        let rows = try await read(
            """
            SELECT status, COUNT(*) AS n FROM \(table)
            WHERE endpoint_id = ? AND created_at >= ? AND created_at <= ? GROUP BY status
            """,
            [.text(endpoint.rawValue), Self.time(since), Self.time(until)]
        )
        var counts: [MessageStatus: Int] = [:]
        for row in rows {
            if let status = MessageStatus(rawValue: row.int("status")) { counts[status, default: 0] += row.int("n") }
        }
        return counts
    }
}
