//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    static let messageColumns =
        "id, app_id, org_id, event_type, event_id, channels, payload, retention_days, created_at, idempotency_key"

    static func message(_ row: SQLiteRow) -> Message {
        Message(
            id: MessageID(unchecked: row.string("id")),
            appID: ApplicationID(unchecked: row.string("app_id")),
            orgID: OrganizationID(rawValue: row.string("org_id")) ?? .default,
            eventType: row.string("event_type"),
            eventID: row.optionalString("event_id"),
            channels: decode([String].self, row.column("channels")),
            payload: row.string("payload"),
            retentionDays: row.int("retention_days"),
            createdAt: row.time("created_at"),
            idempotencyKey: row.optionalString("idempotency_key")
        )
    }

    public func insertMessage(_ message: Message) async throws -> Int {
        // No savepoint: the message insert is the job's first statement and the only one that can be refused.
        let queued = try await writer.write(savepoint: false) { connection in
            try await self.insertMessageRows(message, on: connection)
        }
        if queued > 0 { workSignal.signal() }
        return queued
    }

    /// Inserts the message and one pending delivery per endpoint of its application that accepts it; runs inside
    /// the caller's transaction.
    func insertMessageRows(_ message: Message, on connection: SQLiteConnection) async throws -> Int {
        _ = try await connection.query(
            "INSERT INTO messages (\(Self.messageColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                .text(message.id.rawValue), .text(message.appID.rawValue), .text(message.orgID.rawValue),
                .text(message.eventType), Self.text(message.eventID), Self.jsonOrNull(message.channels),
                .text(message.payload), .integer(message.retentionDays), Self.time(message.createdAt),
                Self.text(message.idempotencyKey),
            ]
        )
        // Fan-out, inside the same transaction: the queue is a table, so there is no gap between
        // accepting the message and queueing its deliveries.
        let candidates: [FanOutCache.Target]
        if let cached = fanOutCache.targets(message.appID.rawValue) {
            candidates = cached
        } else {
            candidates = try await connection.query(
                "SELECT id, event_types, channels FROM endpoints WHERE app_id = ? AND deleted = 0 AND disabled = 0",
                [.text(message.appID.rawValue)]
            ).map {
                FanOutCache.Target(
                    id: $0.string("id"),
                    eventTypes: Self.decode([String].self, $0.column("event_types")),
                    channels: Self.decode([String].self, $0.column("channels"))
                )
            }
            fanOutCache.store(candidates, for: message.appID.rawValue)
        }
        let targets = candidates.filter {
            Endpoint.matches(
                eventTypeFilter: $0.eventTypes,
                channelFilter: $0.channels,
                eventType: message.eventType,
                channels: message.channels
            )
        }.map(\.id)
        guard !targets.isEmpty else { return 0 }
        let now = Self.time(message.createdAt)
        let values = Array(repeating: "(?, ?, ?, ?, 1, 0, ?, ?, ?)", count: targets.count).joined(separator: ", ")
        var binds: [SQLiteData] = []
        binds.reserveCapacity(targets.count * 7)
        for target in targets {
            binds += [
                .text(message.id.rawValue), .text(target), .text(message.appID.rawValue),
                .text(message.orgID.rawValue), now, now, now,
            ]
        }
        _ = try await connection.query(
            """
            INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
            created_at, updated_at) VALUES \(values)
            """,
            binds
        )
        return targets.count
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
