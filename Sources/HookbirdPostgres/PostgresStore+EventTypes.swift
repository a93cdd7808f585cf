//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import PostgresNIO

extension PostgresStore {
    public func insertEventType(_ eventType: EventType) async throws {
        _ = try await execute(
            """
            INSERT INTO event_types (\(unescaped: StoredRows.eventTypeColumns)) VALUES (
                \(eventType.orgID.rawValue), \(eventType.name), \(eventType.description), \(eventType.archived),
                \(eventType.deprecated), \(eventType.schemas?.compactJSON()), \(eventType.featureFlag),
                \(Self.time(eventType.createdAt)), \(Self.time(eventType.updatedAt)))
            """
        )
    }

    public func eventType(org: OrganizationID, name: String) async throws -> EventType? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.eventTypeColumns) FROM event_types
            WHERE org_id = \(org.rawValue) AND name = \(name)
            """
        ).first.map(StoredRows.eventType)
    }

    public func listEventTypes(org: OrganizationID, includeArchived: Bool, range: ListRange) async throws
        -> [EventType]
    {
        let query = QueryBuilder("SELECT \(StoredRows.eventTypeColumns) FROM event_types WHERE ")
        query.append("org_id = \(query.bind(org.rawValue))")
        if !includeArchived { query.append(" AND NOT archived") }
        Self.window("name", range, to: query)
        return try await execute(query.query).map(StoredRows.eventType)
    }

    public func updateEventType(_ eventType: EventType) async throws {
        let rows = try await execute(
            """
            UPDATE event_types SET description = \(eventType.description), archived = \(eventType.archived),
            deprecated = \(eventType.deprecated), schemas = \(eventType.schemas?.compactJSON()),
            feature_flag = \(eventType.featureFlag), created_at = \(Self.time(eventType.createdAt)),
            updated_at = \(Self.time(eventType.updatedAt))
            WHERE org_id = \(eventType.orgID.rawValue) AND name = \(eventType.name) RETURNING name
            """
        )
        if rows.isEmpty { throw StorageError.notFound("event type") }
    }

    public func expungeEventType(org: OrganizationID, name: String) async throws {
        let rows = try await execute(
            "DELETE FROM event_types WHERE org_id = \(org.rawValue) AND name = \(name) RETURNING name"
        )
        if rows.isEmpty { throw StorageError.notFound("event type") }
    }

    public func unknownEventTypes(org: OrganizationID, names: [String]) async throws -> [String] {
        guard !names.isEmpty else { return [] }
        let known = Set(
            try await execute(
                "SELECT name FROM event_types WHERE org_id = \(org.rawValue) AND NOT archived AND name = ANY(\(names))"
            ).map { $0.string("name") }
        )
        return names.filter { !known.contains($0) }
    }
}
