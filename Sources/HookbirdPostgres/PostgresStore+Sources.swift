//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import NIOCore
import PostgresNIO

extension PostgresStore {
    public func insertSource(_ source: Source) async throws {
        let settings = try sealedJSON(source.settings)
        _ = try await execute(
            """
            INSERT INTO sources (\(unescaped: StoredRows.sourceColumns)) VALUES (
                \(source.id.rawValue), \(source.orgID.rawValue), \(source.appID.rawValue), \(source.uid),
                \(source.name), \(settings), \(Self.json(source.allowedIPs)), \(source.maxBody),
                \(Self.time(source.createdAt)), \(Self.time(source.updatedAt)))
            """
        )
    }

    public func source(org: OrganizationID, idOrUID: String) async throws -> Source? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.sourceColumns) FROM sources
            WHERE org_id = \(org.rawValue) AND NOT deleted AND (id = \(idOrUID) OR uid = \(idOrUID))
            ORDER BY id = \(idOrUID) DESC LIMIT 1
            """
        ).first.map(source)
    }

    public func source(idOrUID: String) async throws -> Source? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.sourceColumns) FROM sources
            WHERE NOT deleted AND (id = \(idOrUID) OR uid = \(idOrUID))
            ORDER BY id = \(idOrUID) DESC LIMIT 1
            """
        ).first.map(source)
    }

    public func listSources(org: OrganizationID, range: ListRange) async throws -> [Source] {
        let query = QueryBuilder("SELECT \(StoredRows.sourceColumns) FROM sources WHERE NOT deleted")
        query.append(" AND org_id = \(query.bind(org.rawValue))")
        Self.window("id", range, to: query)
        return try await execute(query.query).map(source)
    }

    public func updateSource(_ source: Source) async throws {
        let settings = try sealedJSON(source.settings)
        let rows = try await execute(
            """
            UPDATE sources SET app_id = \(source.appID.rawValue), uid = \(source.uid), name = \(source.name),
            settings = \(settings), allowed_ips = \(Self.json(source.allowedIPs)),
            max_body = \(source.maxBody), updated_at = \(Self.time(source.updatedAt))
            WHERE id = \(source.id.rawValue) AND org_id = \(source.orgID.rawValue) AND NOT deleted RETURNING id
            """
        )
        if rows.isEmpty { throw StorageError.notFound("source") }
    }

    public func deleteSource(org: OrganizationID, id: SourceID) async throws {
        let rows = try await execute(
            """
            UPDATE sources SET deleted = true, uid = NULL
            WHERE id = \(id.rawValue) AND org_id = \(org.rawValue) AND NOT deleted RETURNING id
            """
        )
        if rows.isEmpty { throw StorageError.notFound("source") }
    }

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
                queued = try await Self.insertMessageRows(message, on: connection, logger: self.logger)
                request.messageID = message.id
            }
            try await connection.rows(
                """
                INSERT INTO inbound_requests (\(unescaped: StoredRows.inboundColumns)) VALUES (
                    \(request.id.rawValue), \(request.sourceID.rawValue), \(request.orgID.rawValue), \(request.method),
                    \(request.path), \(request.query), \(Self.json(request.headers)),
                    \(ByteBuffer(bytes: request.body)), \(request.remoteAddress), \(Self.time(request.receivedAt)),
                    \(request.outcome.rawValue), \(request.reason), \(request.eventID), \(request.messageID?.rawValue))
                """,
                logger: self.logger
            )
            return (request, queued)
        }
        if queued > 0 { workSignal.signal() }
        return stored
    }

    public func inboundRequest(source: SourceID, id: InboundRequestID) async throws -> StoredInboundRequest? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.inboundColumns) FROM inbound_requests
            WHERE source_id = \(source.rawValue) AND id = \(id.rawValue)
            """
        ).first.map(StoredRows.inboundRequest)
    }

    public func listInboundRequests(source: SourceID, filter: InboundRequestFilter, range: ListRange) async throws
        -> [StoredInboundRequest]
    {
        let query = QueryBuilder("SELECT \(StoredRows.inboundColumns) FROM inbound_requests WHERE ")
        query.append("source_id = \(query.bind(source.rawValue))")
        if let outcome = filter.outcome { query.append(" AND outcome = \(query.bind(outcome.rawValue))") }
        Self.window("id", range, to: query)
        return try await execute(query.query).map(StoredRows.inboundRequest)
    }

    public func inboundCounts(source: SourceID) async throws
        -> (outcomes: [InboundOutcome: Int], refusedReasons: [String: Int])
    {
        var outcomes: [InboundOutcome: Int] = [:]
        var reasons: [String: Int] = [:]
        for row in try await execute(
            """
            SELECT outcome, reason, COUNT(*) AS n FROM inbound_requests WHERE source_id = \(source.rawValue)
            GROUP BY outcome, reason
            """
        ) {
            guard let outcome = InboundOutcome(rawValue: row.string("outcome")) else { continue }
            outcomes[outcome, default: 0] += row.int("n")
            if outcome == .refused { reasons[row.optionalString("reason") ?? "unknown", default: 0] += row.int("n") }
        }
        return (outcomes, reasons)
    }
}
