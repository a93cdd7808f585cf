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

    func source(_ row: SQLiteRow) -> Source { StoredRows.source(row, secrets: secrets) }

    public func insertSource(_ source: Source) async throws {
        try await writer.write { connection in
            _ = try await connection.rows(
                "INSERT INTO sources (\(Self.sourceColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(source.id.rawValue), .text(source.orgID.rawValue), .text(source.appID.rawValue),
                    Self.text(source.uid), .text(source.name), try self.sealedJSON(source.settings),
                    Self.json(source.allowedIPs),
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
        ).first.map(source)
    }

    public func source(idOrUID: String) async throws -> Source? {
        // Every provider request starts here: found sources are kept until a source or application changes, the way
        // applications are.
        try await sourceCache.value(idOrUID) {
            try await read(
                """
                SELECT \(Self.sourceColumns) FROM sources WHERE deleted = 0 AND (id = ? OR uid = ?)
                ORDER BY id = ? DESC LIMIT 1
                """,
                [.text(idOrUID), .text(idOrUID), .text(idOrUID)]
            ).first.map(source)
        }
    }

    public func listSources(org: OrganizationID, range: ListRange) async throws -> [Source] {
        let window = Self.window("id", range)
        return try await read(
            "SELECT \(Self.sourceColumns) FROM sources WHERE org_id = ? AND deleted = 0" + window.sql + window.order,
            [.text(org.rawValue)] + window.binds
        ).map(source)
    }

    public func updateSource(_ source: Source) async throws {
        defer { sourceCache.clear() }
        try await writer.write { connection in
            let rows = try await connection.rows(
                """
                UPDATE sources SET app_id = ?, uid = ?, name = ?, settings = ?, allowed_ips = ?, max_body = ?,
                updated_at = ? WHERE id = ? AND org_id = ? AND deleted = 0 RETURNING id
                """,
                [
                    .text(source.appID.rawValue), Self.text(source.uid), .text(source.name),
                    try self.sealedJSON(source.settings),
                    Self.json(source.allowedIPs), .integer(source.maxBody), Self.time(source.updatedAt),
                    .text(source.id.rawValue), .text(source.orgID.rawValue),
                ]
            )
            if rows.isEmpty { throw StorageError.notFound("source") }
        }
    }

    public func deleteSource(org: OrganizationID, id: SourceID) async throws {
        defer { sourceCache.clear() }
        try await writer.write { connection in
            let rows = try await connection.rows(
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
        // Requests recorded in the same transaction are written together (see `recordInboundRequests`).
        let item = InboundRecord(request: request, message: message)
        let recorded = try await writer.writeMergeable(Self.inboundRecord, item) { connection in
            try await Self.recordInboundRequests(
                [item],
                on: connection,
                cache: self.fanOutCache,
                recent: self.recentMessages,
                secrets: self.secrets,
                handOff: self.handOff
            )[0]
        }
        dispatch(recorded.inserted)
        return recorded.request
    }

    /// A provider's request to record, with the message it becomes when it is accepted.
    struct InboundRecord: Sendable {
        var request: StoredInboundRequest
        var message: Message?
    }

    /// What recording one request wrote.
    struct RecordedInbound: Sendable {
        /// As stored: an accepted request whose event id was seen before is a duplicate.
        var request: StoredInboundRequest
        var inserted = InsertedMessage()
    }

    /// Records providers' requests: dedupes accepted ones by event id (against the table and each other), inserts
    /// the messages of those still accepted (see ``insertMessages(_:on:cache:recent:secrets:handOff:)``) and the
    /// requests, with one statement per table; runs inside the caller's transaction. Throws (having written nothing)
    /// when a message is refused.
    static func recordInboundRequests(
        _ items: [InboundRecord],
        on connection: SQLiteConnection,
        cache: FanOutCache,
        recent: RecentMessages,
        secrets: SecretsCipher,
        handOff: DeliveryHandOff?
    ) async throws -> [RecordedInbound] {
        var results = items.map { RecordedInbound(request: $0.request) }
        // Accepted event ids seen before, by source: in the table, then earlier in this batch.
        var eventIDs: [String: Set<String>] = [:]
        for item in items where item.request.outcome == .accepted {
            if let eventID = item.request.eventID { eventIDs[item.request.sourceID.rawValue, default: []].insert(eventID) }
        }
        var seen: [String: MessageID?] = [:]  // "source event" → its message
        for (source, ids) in eventIDs {
            for row in try await connection.rows(
                """
                SELECT event_id, msg_id FROM inbound_requests
                WHERE source_id = ? AND event_id IN (\(placeholders(ids.count))) AND outcome = 'accepted'
                """,
                [.text(source)] + ids.map { .text($0) }
            ) {
                seen[source + " " + row.string("event_id")] = row.optionalString("msg_id").map(MessageID.init(unchecked:))
            }
        }
        var messages: [Message] = []
        var positions: [Int] = []
        for index in results.indices where results[index].request.outcome == .accepted {
            if let eventID = results[index].request.eventID {
                let key = results[index].request.sourceID.rawValue + " " + eventID
                if let earlier = seen[key] {
                    results[index].request.outcome = .duplicate
                    results[index].request.reason = "event \(eventID) was received before"
                    results[index].request.messageID = earlier
                    continue
                }
                seen[key] = items[index].message?.id
            }
            if let message = items[index].message {
                messages.append(message)
                positions.append(index)
                results[index].request.messageID = message.id
            }
        }
        if !messages.isEmpty {
            let inserted = try await insertMessages(
                messages,
                on: connection,
                cache: cache,
                recent: recent,
                secrets: secrets,
                handOff: handOff
            )
            for (position, one) in zip(positions, inserted) { results[position].inserted = one }
        }
        var binds: [SQLiteData] = []
        binds.reserveCapacity(results.count * 14)
        for result in results {
            let request = result.request
            binds += [
                .text(request.id.rawValue), .text(request.sourceID.rawValue), .text(request.orgID.rawValue),
                .text(request.method), .text(request.path), text(request.query),
                .text(JSONValue.array(request.headers.map { .array($0.map(JSONValue.string)) }).compactJSON()),
                .blob(ByteBuffer(bytes: request.body)), text(request.remoteAddress),
                time(request.receivedAt), .text(request.outcome.rawValue), text(request.reason),
                text(request.eventID), text(request.messageID?.rawValue),
            ]
        }
        _ = try await connection.rows(
            "INSERT INTO inbound_requests (\(inboundColumns)) VALUES "
                + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: results.count)
                .joined(separator: ", "),
            binds
        )
        return results
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
