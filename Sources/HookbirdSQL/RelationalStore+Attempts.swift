//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLKit

extension RelationalStore {
    public func listAttempts(app: ApplicationID, filter: AttemptFilter, range: ListRange) async throws
        -> [MessageAttempt]
    {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: StoredRows.attemptColumns) FROM attempts a"
        let needsMessage = (filter.eventTypes?.isEmpty == false) || filter.channel != nil
        if needsMessage { sql += " JOIN messages m ON m.id = a.msg_id" }
        sql += " WHERE a.app_id = \(bind: app.rawValue)"
        if let endpointID = filter.endpointID { sql += " AND a.endpoint_id = \(bind: endpointID.rawValue)" }
        if let messageID = filter.messageID { sql += " AND a.msg_id = \(bind: messageID.rawValue)" }
        if let status = filter.status { sql += " AND a.status = \(bind: status.rawValue)" }
        if let statusCodeClass = filter.statusCodeClass {
            let lower = statusCodeClass == 0 ? 0 : statusCodeClass
            let upper = statusCodeClass == 0 ? 99 : statusCodeClass + 99
            sql += " AND a.response_status_code BETWEEN \(bind: lower) AND \(bind: upper)"
        }
        if let eventTypes = filter.eventTypes, !eventTypes.isEmpty { sql += " AND m.event_type IN (\(binds: eventTypes))" }
        if let channel = filter.channel { sql += " AND \(flavor.jsonArray("m.channels", contains: channel))" }
        return try await read(sql + range.window("a.id")).map { StoredRows.attempt($0) }
    }

    public func attempt(app: ApplicationID, message: MessageID, id: AttemptID) async throws -> MessageAttempt? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.attemptColumns) FROM attempts a
            WHERE a.app_id = \(bind: app.rawValue) AND a.msg_id = \(bind: message.rawValue) AND a.id = \(bind: id.rawValue)
            """
        ).first.map { StoredRows.attempt($0) }
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
            SELECT status, COUNT(*) AS n FROM \(unsafeRaw: table)
            WHERE endpoint_id = \(bind: endpoint.rawValue) AND created_at >= \(bind: since.microseconds)
            AND created_at <= \(bind: until.microseconds) GROUP BY status
            """
        )
        var counts: [MessageStatus: Int] = [:]
        for row in rows {
            if let status = MessageStatus(rawValue: row.int("status")) { counts[status, default: 0] += row.int("n") }
        }
        return counts
    }
}
