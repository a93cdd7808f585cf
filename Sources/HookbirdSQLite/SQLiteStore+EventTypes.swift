//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    static let eventTypeColumns = StoredRows.eventTypeColumns

    static func eventType(_ row: SQLiteRow) -> EventType { StoredRows.eventType(row) }

    static func eventTypeBinds(_ eventType: EventType) -> [SQLiteData] {
        [
            .text(eventType.orgID.rawValue), .text(eventType.name), .text(eventType.description),
            .integer(eventType.archived ? 1 : 0), .integer(eventType.deprecated ? 1 : 0),
            text(eventType.schemas?.compactJSON()), text(eventType.featureFlag), time(eventType.createdAt),
            time(eventType.updatedAt),
        ]
    }

    public func insertEventType(_ eventType: EventType) async throws {
        try await writer.write { connection in
            _ = try await connection.rows(
                "INSERT INTO event_types (\(Self.eventTypeColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                Self.eventTypeBinds(eventType)
            )
        }
    }

    public func eventType(org: OrganizationID, name: String) async throws -> EventType? {
        try await read(
            "SELECT \(Self.eventTypeColumns) FROM event_types WHERE org_id = ? AND name = ?",
            [.text(org.rawValue), .text(name)]
        ).first.map(Self.eventType)
    }

    public func listEventTypes(org: OrganizationID, includeArchived: Bool, range: ListRange) async throws
        -> [EventType]
    {
        let window = Self.window("name", range)
        return try await read(
            "SELECT \(Self.eventTypeColumns) FROM event_types WHERE org_id = ?"
                + (includeArchived ? "" : " AND archived = 0") + window.sql + window.order,
            [.text(org.rawValue)] + window.binds
        ).map(Self.eventType)
    }

    public func updateEventType(_ eventType: EventType) async throws {
        try await writer.write { connection in
            let rows = try await connection.rows(
                """
                UPDATE event_types SET description = ?, archived = ?, deprecated = ?, schemas = ?, feature_flag = ?,
                created_at = ?, updated_at = ? WHERE org_id = ? AND name = ? RETURNING name
                """,
                [
                    .text(eventType.description), .integer(eventType.archived ? 1 : 0),
                    .integer(eventType.deprecated ? 1 : 0), Self.text(eventType.schemas?.compactJSON()),
                    Self.text(eventType.featureFlag), Self.time(eventType.createdAt), Self.time(eventType.updatedAt),
                    .text(eventType.orgID.rawValue), .text(eventType.name),
                ]
            )
            if rows.isEmpty { throw StorageError.notFound("event type") }
        }
    }

    public func expungeEventType(org: OrganizationID, name: String) async throws {
        try await writer.write { connection in
            let rows = try await connection.rows(
                "DELETE FROM event_types WHERE org_id = ? AND name = ? RETURNING name",
                [.text(org.rawValue), .text(name)]
            )
            if rows.isEmpty { throw StorageError.notFound("event type") }
        }
    }

    public func unknownEventTypes(org: OrganizationID, names: [String]) async throws -> [String] {
        guard !names.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        let known = Set(
            try await read(
                "SELECT name FROM event_types WHERE org_id = ? AND archived = 0 AND name IN (\(placeholders))",
                [.text(org.rawValue)] + names.map { .text($0) }
            ).map { $0.string("name") }
        )
        return names.filter { !known.contains($0) }
    }
}
