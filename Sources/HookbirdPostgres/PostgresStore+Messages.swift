//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import Logging
import PostgresNIO

extension PostgresStore {
    @discardableResult
    public func insertMessage(_ message: Message) async throws -> Int {
        let queued = try await transaction { connection in
            try await Self.insertMessageRows(message, on: connection, logger: self.logger)
        }
        if queued > 0 { workSignal.signal() }
        return queued
    }

    /// Inserts the message and one pending delivery per live endpoint of its application that accepts it, and
    /// announces the new work (`NOTIFY`, delivered when the caller's transaction commits); runs inside the caller's
    /// transaction.
    ///
    /// The endpoints are read in the same transaction, not from a cache as on SQLite: another node may have
    /// changed them.
    /// - Returns: The number of deliveries queued.
    static func insertMessageRows(_ message: Message, on connection: PostgresConnection, logger: Logger)
        async throws -> Int
    {
        try await connection.rows(
            """
            INSERT INTO messages (\(unescaped: StoredRows.messageColumns)) VALUES (
                \(message.id.rawValue), \(message.appID.rawValue), \(message.orgID.rawValue), \(message.eventType),
                \(message.eventID), \(jsonOrNull(message.channels)), \(message.payload), \(message.retentionDays),
                \(time(message.createdAt)), \(message.idempotencyKey))
            """,
            logger: logger
        )
        // Fan-out, inside the same transaction: the queue is a table, so there is no gap between accepting a
        // message and queueing its deliveries.
        let targets = try await connection.rows(
            """
            SELECT id, event_types, channels FROM endpoints
            WHERE app_id = \(message.appID.rawValue) AND NOT deleted AND NOT disabled
            """,
            logger: logger
        ).filter {
            Endpoint.matches(
                eventTypeFilter: $0.json([String].self, "event_types"),
                channelFilter: $0.json([String].self, "channels"),
                eventType: message.eventType,
                channels: message.channels
            )
        }.map { $0.string("id") }
        guard !targets.isEmpty else { return 0 }
        let now = time(message.createdAt)
        try await connection.rows(
            """
            INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
            created_at, updated_at)
            SELECT \(message.id.rawValue), endpoint_id, \(message.appID.rawValue), \(message.orgID.rawValue),
                \(MessageStatus.pending.rawValue), \(AttemptTrigger.scheduled.rawValue), \(now), \(now), \(now)
            FROM unnest(\(targets)::text[]) AS endpoint_id
            """,
            logger: logger
        )
        try await notifyWork(on: connection, logger: logger)
        return targets.count
    }

    /// Tells every node's listener, when the transaction commits, that deliveries may be due.
    static func notifyWork(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.rows(PostgresQuery(unsafeSQL: "NOTIFY \(workChannel)"), logger: logger)
    }

    public func message(app: ApplicationID, idOrEventID: String) async throws -> Message? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.messageColumns) FROM messages
            WHERE app_id = \(app.rawValue) AND (id = \(idOrEventID) OR event_id = \(idOrEventID))
            ORDER BY id = \(idOrEventID) DESC LIMIT 1
            """
        ).first.map(StoredRows.message)
    }

    public func message(app: ApplicationID, idempotencyKey: String) async throws -> Message? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.messageColumns) FROM messages
            WHERE app_id = \(app.rawValue) AND idempotency_key = \(idempotencyKey)
            """
        ).first.map(StoredRows.message)
    }

    public func listMessages(app: ApplicationID, filter: MessageFilter, range: ListRange) async throws -> [Message] {
        let query = QueryBuilder("SELECT \(StoredRows.messageColumns) FROM messages WHERE ")
        query.append("app_id = \(query.bind(app.rawValue))")
        if let eventTypes = filter.eventTypes, !eventTypes.isEmpty {
            query.append(" AND event_type = ANY(\(query.bind(eventTypes)))")
        }
        if let channel = filter.channel {
            query.append(" AND channels IS NOT NULL AND jsonb_exists(channels::jsonb, \(query.bind(channel)))")
        }
        Self.window("id", range, to: query)
        return try await execute(query.query).map(StoredRows.message)
    }
}
