//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLKit

extension RelationalStore {
    public func insertEventType(_ eventType: EventType) async throws {
        try await write(
            """
            INSERT INTO event_types (\(unsafeRaw: StoredRows.eventTypeColumns)) VALUES (
                \(bind: eventType.orgID.rawValue), \(bind: eventType.name), \(bind: eventType.description),
                \(bind: eventType.archived), \(bind: eventType.deprecated), \(bind: eventType.schemas?.compactJSON()),
                \(bind: eventType.featureFlag), \(bind: eventType.createdAt.microseconds),
                \(bind: eventType.updatedAt.microseconds))
            """
        )
    }

    public func eventType(org: OrganizationID, name: String) async throws -> EventType? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.eventTypeColumns) FROM event_types
            WHERE org_id = \(bind: org.rawValue) AND name = \(bind: name)
            """
        ).first.map { StoredRows.eventType($0) }
    }

    public func listEventTypes(org: OrganizationID, includeArchived: Bool, range: ListRange) async throws
        -> [EventType]
    {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.eventTypeColumns) FROM event_types WHERE org_id = \(bind: org.rawValue)\
            \(unsafeRaw: includeArchived ? "" : " AND NOT archived")\(range.window("name"))
            """
        ).map { StoredRows.eventType($0) }
    }

    public func updateEventType(_ eventType: EventType) async throws {
        let rows = try await write(
            """
            UPDATE event_types SET description = \(bind: eventType.description), archived = \(bind: eventType.archived),
            deprecated = \(bind: eventType.deprecated), schemas = \(bind: eventType.schemas?.compactJSON()),
            feature_flag = \(bind: eventType.featureFlag), created_at = \(bind: eventType.createdAt.microseconds),
            updated_at = \(bind: eventType.updatedAt.microseconds)
            WHERE org_id = \(bind: eventType.orgID.rawValue) AND name = \(bind: eventType.name) RETURNING name
            """
        )
        if rows.isEmpty { throw StorageError.notFound("event type") }
    }

    public func expungeEventType(org: OrganizationID, name: String) async throws {
        let rows = try await write(
            "DELETE FROM event_types WHERE org_id = \(bind: org.rawValue) AND name = \(bind: name) RETURNING name"
        )
        if rows.isEmpty { throw StorageError.notFound("event type") }
    }

    public func unknownEventTypes(org: OrganizationID, names: [String]) async throws -> [String] {
        guard !names.isEmpty else { return [] }
        let known = Set(
            try await read(
                """
                SELECT name FROM event_types WHERE org_id = \(bind: org.rawValue) AND NOT archived
                AND name IN (\(binds: names))
                """
            ).map { $0.string("name") }
        )
        return names.filter { !known.contains($0) }
    }
}
