//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    static let messageColumns = StoredRows.messageColumns

    static func message(_ row: SQLiteRow) -> Message { StoredRows.message(row) }

    public func insertMessage(_ message: Message) async throws -> Int {
        // No savepoint: the message insert is the job's first statement and the only one that can be refused.
        // Messages committed together are inserted together (see SQLiteWriter).
        let queued = try await writer.writeMergeable(message) { connection in
            try await self.insertMessageRows(message, on: connection)
        }
        if queued > 0 { workSignal.signal() }
        return queued
    }

    /// Inserts the message and one pending delivery per endpoint of its application that accepts it; runs inside
    /// the caller's transaction.
    func insertMessageRows(_ message: Message, on connection: SQLiteConnection) async throws -> Int {
        try await Self.insertMessages([message], on: connection, cache: fanOutCache)[0]
    }

    /// Inserts messages and one pending delivery per endpoint of their application that accepts them, with one
    /// multi-row statement for the messages and as few as possible for the deliveries; runs inside the caller's
    /// transaction. Throws (having written nothing) when a message is refused (a duplicate event id).
    /// - Returns: The number of deliveries queued for each message.
    static func insertMessages(_ messages: [Message], on connection: SQLiteConnection, cache: FanOutCache) async throws
        -> [Int]
    {
        let rowPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        var messageBinds: [SQLiteData] = []
        messageBinds.reserveCapacity(messages.count * 10)
        for message in messages {
            messageBinds += [
                .text(message.id.rawValue), .text(message.appID.rawValue), .text(message.orgID.rawValue),
                .text(message.eventType), Self.text(message.eventID), Self.jsonOrNull(message.channels),
                .text(message.payload), .integer(message.retentionDays), Self.time(message.createdAt),
                Self.text(message.idempotencyKey),
            ]
        }
        _ = try await connection.query(
            "INSERT INTO messages (\(Self.messageColumns)) VALUES "
                + Array(repeating: rowPlaceholders, count: messages.count).joined(separator: ", "),
            messageBinds
        )
        // Fan-out, inside the same transaction: the queue is a table, so there is no gap between accepting a
        // message and queueing its deliveries.
        var candidates: [String: [FanOutCache.Target]] = [:]
        var unknown: [String] = []
        for app in Set(messages.map(\.appID.rawValue)) {
            if let cached = cache.targets(app) { candidates[app] = cached } else { unknown.append(app) }
        }
        if !unknown.isEmpty {
            for app in unknown { candidates[app] = [] }
            let rows = try await connection.query(
                """
                SELECT id, app_id, event_types, channels FROM endpoints
                WHERE app_id IN (\(Self.placeholders(unknown.count))) AND deleted = 0 AND disabled = 0
                """,
                unknown.map { .text($0) }
            )
            for row in rows {
                candidates[row.string("app_id"), default: []].append(
                    FanOutCache.Target(
                        id: row.string("id"),
                        eventTypes: Self.decode([String].self, row.column("event_types")),
                        channels: Self.decode([String].self, row.column("channels"))
                    )
                )
            }
            for app in unknown { cache.store(candidates[app] ?? [], for: app) }
        }
        var counts: [Int] = []
        var deliveryBinds: [SQLiteData] = []
        for message in messages {
            let targets = (candidates[message.appID.rawValue] ?? []).filter {
                Endpoint.matches(
                    eventTypeFilter: $0.eventTypes,
                    channelFilter: $0.channels,
                    eventType: message.eventType,
                    channels: message.channels
                )
            }
            counts.append(targets.count)
            let now = Self.time(message.createdAt)
            for target in targets {
                deliveryBinds += [
                    .text(message.id.rawValue), .text(target.id), .text(message.appID.rawValue),
                    .text(message.orgID.rawValue), now, now, now,
                ]
            }
        }
        // At most 1 000 rows a statement, well inside SQLite's limit on bound values.
        let rowSize = 7
        var start = 0
        while start < deliveryBinds.count {
            let end = min(deliveryBinds.count, start + 1000 * rowSize)
            let rows = (end - start) / rowSize
            _ = try await connection.query(
                """
                INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
                created_at, updated_at) VALUES \(Array(repeating: "(?, ?, ?, ?, 1, 0, ?, ?, ?)", count: rows).joined(separator: ", "))
                """,
                Array(deliveryBinds[start..<end])
            )
            start = end
        }
        return counts
    }

    public func message(app: ApplicationID, idOrEventID: String) async throws -> Message? {
        try await read(
            """
            SELECT \(Self.messageColumns) FROM messages
            WHERE app_id = ? AND (id = ? OR event_id = ?) ORDER BY id = ? DESC LIMIT 1
            """,
            [.text(app.rawValue), .text(idOrEventID), .text(idOrEventID), .text(idOrEventID)]
        ).first.map(Self.message)
    }

    public func message(app: ApplicationID, idempotencyKey: String) async throws -> Message? {
        try await read(
            "SELECT \(Self.messageColumns) FROM messages WHERE app_id = ? AND idempotency_key = ?",
            [.text(app.rawValue), .text(idempotencyKey)]
        ).first.map(Self.message)
    }

    public func listMessages(app: ApplicationID, filter: MessageFilter, range: ListRange) async throws -> [Message] {
        var sql = "SELECT \(Self.messageColumns) FROM messages WHERE app_id = ?"
        var binds: [SQLiteData] = [.text(app.rawValue)]
        if let eventTypes = filter.eventTypes, !eventTypes.isEmpty {
            sql += " AND event_type IN (\(Array(repeating: "?", count: eventTypes.count).joined(separator: ", ")))"
            binds += eventTypes.map { .text($0) }
        }
        if let channel = filter.channel {
            sql += " AND EXISTS (SELECT 1 FROM json_each(messages.channels) WHERE value = ?)"
            binds.append(.text(channel))
        }
        let window = Self.window("id", range)
        return try await read(sql + window.sql + window.order, binds + window.binds).map(Self.message)
    }
}
