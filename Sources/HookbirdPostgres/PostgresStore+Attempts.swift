//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import PostgresNIO

extension PostgresStore {
    public func listAttempts(app: ApplicationID, filter: AttemptFilter, range: ListRange) async throws
        -> [MessageAttempt]
    {
        let query = QueryBuilder("SELECT \(StoredRows.attemptColumns) FROM attempts a")
        let needsMessage = (filter.eventTypes?.isEmpty == false) || filter.channel != nil
        if needsMessage { query.append(" JOIN messages m ON m.id = a.msg_id") }
        query.append(" WHERE a.app_id = \(query.bind(app.rawValue))")
        if let endpointID = filter.endpointID {
            query.append(" AND a.endpoint_id = \(query.bind(endpointID.rawValue))")
        }
        if let messageID = filter.messageID { query.append(" AND a.msg_id = \(query.bind(messageID.rawValue))") }
        if let status = filter.status { query.append(" AND a.status = \(query.bind(status.rawValue))") }
        if let statusCodeClass = filter.statusCodeClass {
            let lower = statusCodeClass == 0 ? 0 : statusCodeClass
            let upper = statusCodeClass == 0 ? 99 : statusCodeClass + 99
            query.append(" AND a.response_status_code BETWEEN \(query.bind(lower)) AND \(query.bind(upper))")
        }
        if let eventTypes = filter.eventTypes, !eventTypes.isEmpty {
            query.append(" AND m.event_type = ANY(\(query.bind(eventTypes)))")
        }
        if let channel = filter.channel {
            query.append(" AND m.channels IS NOT NULL AND jsonb_exists(m.channels::jsonb, \(query.bind(channel)))")
        }
        Self.window("a.id", range, to: query)
        return try await execute(query.query).map(StoredRows.attempt)
    }

    public func attempt(app: ApplicationID, message: MessageID, id: AttemptID) async throws -> MessageAttempt? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.attemptColumns) FROM attempts a
            WHERE a.app_id = \(app.rawValue) AND a.msg_id = \(message.rawValue) AND a.id = \(id.rawValue)
            """
        ).first.map(StoredRows.attempt)
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
        let rows = try await execute(
            """
            SELECT status, COUNT(*) AS n FROM \(unescaped: table)
            WHERE endpoint_id = \(endpoint.rawValue) AND created_at >= \(Self.time(since))
                AND created_at <= \(Self.time(until))
            GROUP BY status
            """
        )
        var counts: [MessageStatus: Int] = [:]
        for row in rows {
            if let status = MessageStatus(rawValue: row.int("status")) { counts[status, default: 0] += row.int("n") }
        }
        return counts
    }
}
