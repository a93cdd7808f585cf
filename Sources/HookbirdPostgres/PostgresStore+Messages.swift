//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import HookbirdStorage
import Logging
import HookbirdSQL
import PostgresNIO

extension PostgresStore {
    @discardableResult
    public func insertMessage(_ message: Message) async throws -> Int {
        let queued = try await transaction { connection in
            try await Self.insertMessageRows(message, on: connection, logger: self.logger)
        }
        if queued > 0 { deliveriesQueued() }
        return queued
    }

    /// Inserts the message and one pending delivery per live endpoint of its application that accepts it; runs inside
    /// the caller's transaction (the caller announces the work once it has committed).
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
                \(message.eventID), \(StoredValues.jsonOrNull(message.channels)), \(message.payload), \(message.retentionDays),
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
        return targets.count
    }
}
