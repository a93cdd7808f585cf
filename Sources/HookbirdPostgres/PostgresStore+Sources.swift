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
    /// As on `SQLiteStore`, in one prepared statement for the usual case (an accepted request, its message and
    /// deliveries: ``PostgresStatements/RecordAccepted``), and one more for a duplicate. Two nodes receiving the
    /// same event at once store one as accepted and the other as a duplicate: the unique index on accepted requests'
    /// event ids decides (SQLite gets this from its single writer).
    public func recordInboundRequest(_ request: StoredInboundRequest, message: Message?) async throws
        -> StoredInboundRequest
    {
        var request = request
        let queued = try await translating {
            try await withConnection { connection -> Int in
                if request.outcome == .accepted, let message {
                    request.messageID = message.id
                    let statement = PostgresStatements.RecordAccepted(request: request, message: message)
                    for try await row in try await connection.execute(statement, logger: self.logger)
                    where row.recorded > 0 {
                        return row.queued
                    }
                    // The source accepted this event before: a duplicate, pointing at that request's message.
                    request.outcome = .duplicate
                    request.reason = "event \(request.eventID ?? "") was received before"
                    request.messageID = nil
                } else if request.outcome == .accepted, request.eventID != nil,
                    try await !connection.rows(
                        """
                        SELECT 1 FROM inbound_requests WHERE source_id = \(request.sourceID.rawValue)
                        AND event_id = \(request.eventID) AND outcome = 'accepted'
                        """,
                        logger: self.logger
                    ).isEmpty
                {
                    request.outcome = .duplicate
                    request.reason = "event \(request.eventID ?? "") was received before"
                }
                let statement = PostgresStatements.RecordInbound(request: request)
                for try await messageID in try await connection.execute(statement, logger: self.logger) {
                    request.messageID = messageID.map(MessageID.init(unchecked:))
                }
                return 0
            }
        }
        if queued > 0 { deliveriesQueued() }
        return request
    }
}
