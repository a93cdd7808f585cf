//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import HookbirdStorage
import NIOCore
import HookbirdSQL
import PostgresNIO

extension PostgresStore {
    /// As on `SQLiteStore`; the dedupe check and the insert are serialised per (source, event id) with
    /// `pg_advisory_xact_lock`, so two nodes receiving the same event at once store one as accepted and the other as
    /// a duplicate (SQLite gets this from its single writer).
    public func recordInboundRequest(_ request: StoredInboundRequest, message: Message?) async throws
        -> StoredInboundRequest
    {
        let (stored, queued) = try await transaction { connection -> (StoredInboundRequest, Int) in
            var request = request
            var queued = 0
            if request.outcome == .accepted, let eventID = request.eventID {
                let lockKey = request.sourceID.rawValue + "\n" + eventID
                try await connection.rows(
                    "SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 0))",
                    logger: self.logger
                )
                let seen = try await connection.rows(
                    """
                    SELECT msg_id FROM inbound_requests
                    WHERE source_id = \(request.sourceID.rawValue) AND event_id = \(eventID) AND outcome = 'accepted'
                    """,
                    logger: self.logger
                )
                if let first = seen.first {
                    request.outcome = .duplicate
                    request.reason = "event \(eventID) was received before"
                    request.messageID = first.optionalString("msg_id").map(MessageID.init(unchecked:))
                }
            }
            if request.outcome == .accepted, let message {
                let (inserted, refused) = try await Self.insertMessages([message], on: connection, logger: self.logger)
                if let error = refused[message.id.rawValue] { throw error }
                queued = inserted[message.id.rawValue] ?? 0
                request.messageID = message.id
            }
            try await connection.rows(
                """
                INSERT INTO inbound_requests (\(unescaped: StoredRows.inboundColumns)) VALUES (
                    \(request.id.rawValue), \(request.sourceID.rawValue), \(request.orgID.rawValue), \(request.method),
                    \(request.path), \(request.query), \(StoredValues.json(request.headers)),
                    \(ByteBuffer(bytes: request.body)), \(request.remoteAddress), \(Self.time(request.receivedAt)),
                    \(request.outcome.rawValue), \(request.reason), \(request.eventID), \(request.messageID?.rawValue))
                """,
                logger: self.logger
            )
            return (request, queued)
        }
        if queued > 0 { deliveriesQueued() }
        return stored
    }
}
