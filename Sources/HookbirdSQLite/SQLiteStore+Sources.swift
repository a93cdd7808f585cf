//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import NIOCore
import SQLiteNIO

extension SQLiteStore {
    static let sourceColumns = StoredRows.sourceColumns

    static func source(_ row: SQLiteRow) -> Source { StoredRows.source(row) }

    public func insertSource(_ source: Source) async throws {
        try await writer.write { connection in
            _ = try await connection.query(
                "INSERT INTO sources (\(Self.sourceColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(source.id.rawValue), .text(source.orgID.rawValue), .text(source.appID.rawValue),
                    Self.text(source.uid), .text(source.name), Self.json(source.settings), Self.json(source.allowedIPs),
                    .integer(source.maxBody), Self.time(source.createdAt), Self.time(source.updatedAt),
                ]
            )
        }
    }

    public func source(org: OrganizationID, idOrUID: String) async throws -> Source? {
        try await read(
            """
            SELECT \(Self.sourceColumns) FROM sources WHERE org_id = ? AND deleted = 0 AND (id = ? OR uid = ?)
            ORDER BY id = ? DESC LIMIT 1
            """,
            [.text(org.rawValue), .text(idOrUID), .text(idOrUID), .text(idOrUID)]
        ).first.map(Self.source)
    }

    public func source(idOrUID: String) async throws -> Source? {
        try await read(
            """
            SELECT \(Self.sourceColumns) FROM sources WHERE deleted = 0 AND (id = ? OR uid = ?)
            ORDER BY id = ? DESC LIMIT 1
            """,
            [.text(idOrUID), .text(idOrUID), .text(idOrUID)]
        ).first.map(Self.source)
    }

    public func listSources(org: OrganizationID, range: ListRange) async throws -> [Source] {
        let window = Self.window("id", range)
        return try await read(
            "SELECT \(Self.sourceColumns) FROM sources WHERE org_id = ? AND deleted = 0" + window.sql + window.order,
            [.text(org.rawValue)] + window.binds
        ).map(Self.source)
    }

    public func updateSource(_ source: Source) async throws {
        try await writer.write { connection in
            let rows = try await connection.query(
                """
                UPDATE sources SET app_id = ?, uid = ?, name = ?, settings = ?, allowed_ips = ?, max_body = ?,
                updated_at = ? WHERE id = ? AND org_id = ? AND deleted = 0 RETURNING id
                """,
                [
                    .text(source.appID.rawValue), Self.text(source.uid), .text(source.name), Self.json(source.settings),
                    Self.json(source.allowedIPs), .integer(source.maxBody), Self.time(source.updatedAt),
                    .text(source.id.rawValue), .text(source.orgID.rawValue),
                ]
            )
            if rows.isEmpty { throw StorageError.notFound("source") }
        }
    }

    public func deleteSource(org: OrganizationID, id: SourceID) async throws {
        try await writer.write { connection in
            let rows = try await connection.query(
                "UPDATE sources SET deleted = 1, uid = NULL WHERE id = ? AND org_id = ? AND deleted = 0 RETURNING id",
                [.text(id.rawValue), .text(org.rawValue)]
            )
            if rows.isEmpty { throw StorageError.notFound("source") }
        }
    }

    static let inboundColumns = StoredRows.inboundColumns

    static func inboundRequest(_ row: SQLiteRow) -> StoredInboundRequest { StoredRows.inboundRequest(row) }

    public func recordInboundRequest(_ request: StoredInboundRequest, message: Message?) async throws
        -> StoredInboundRequest
    {
        var queued = 0
        let stored = try await writer.write { connection -> (StoredInboundRequest, Int) in
            var request = request
            var queued = 0
            if request.outcome == .accepted, let eventID = request.eventID {
                let seen = try await connection.query(
                    "SELECT msg_id FROM inbound_requests WHERE source_id = ? AND event_id = ? AND outcome = 'accepted'",
                    [.text(request.sourceID.rawValue), .text(eventID)]
                )
                if let first = seen.first {
                    request.outcome = .duplicate
                    request.reason = "event \(eventID) was received before"
                    request.messageID = first.optionalString("msg_id").map(MessageID.init(unchecked:))
                }
            }
            if request.outcome == .accepted, let message {
                queued = try await self.insertMessageRows(message, on: connection)
                request.messageID = message.id
            }
            _ = try await connection.query(
                "INSERT INTO inbound_requests (\(Self.inboundColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(request.id.rawValue), .text(request.sourceID.rawValue), .text(request.orgID.rawValue),
                    .text(request.method), .text(request.path), Self.text(request.query), Self.json(request.headers),
                    .blob(ByteBuffer(bytes: request.body)), Self.text(request.remoteAddress),
                    Self.time(request.receivedAt), .text(request.outcome.rawValue), Self.text(request.reason),
                    Self.text(request.eventID), Self.text(request.messageID?.rawValue),
                ]
            )
            return (request, queued)
        }
        queued = stored.1
        if queued > 0 { workSignal.signal() }
        return stored.0
    }

    public func inboundRequest(source: SourceID, id: InboundRequestID) async throws -> StoredInboundRequest? {
        try await read(
            "SELECT \(Self.inboundColumns) FROM inbound_requests WHERE source_id = ? AND id = ?",
            [.text(source.rawValue), .text(id.rawValue)]
        ).first.map(Self.inboundRequest)
    }

    public func listInboundRequests(source: SourceID, filter: InboundRequestFilter, range: ListRange) async throws
        -> [StoredInboundRequest]
    {
        var sql = "SELECT \(Self.inboundColumns) FROM inbound_requests WHERE source_id = ?"
        var binds: [SQLiteData] = [.text(source.rawValue)]
        if let outcome = filter.outcome {
            sql += " AND outcome = ?"
            binds.append(.text(outcome.rawValue))
        }
        let window = Self.window("id", range)
        return try await read(sql + window.sql + window.order, binds + window.binds).map(Self.inboundRequest)
    }

    public func inboundCounts(source: SourceID) async throws
        -> (outcomes: [InboundOutcome: Int], refusedReasons: [String: Int])
    {
        var outcomes: [InboundOutcome: Int] = [:]
        var reasons: [String: Int] = [:]
        for row in try await read(
            "SELECT outcome, reason, COUNT(*) AS n FROM inbound_requests WHERE source_id = ? GROUP BY outcome, reason",
            [.text(source.rawValue)]
        ) {
            guard let outcome = InboundOutcome(rawValue: row.string("outcome")) else { continue }
            outcomes[outcome, default: 0] += row.int("n")
            if outcome == .refused { reasons[row.optionalString("reason") ?? "unknown", default: 0] += row.int("n") }
        }
        return (outcomes, reasons)
    }
}
