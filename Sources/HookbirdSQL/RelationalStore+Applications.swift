//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLKit

extension RelationalStore {
    public func insertApplication(_ application: Application) async throws {
        try await write(
            """
            INSERT INTO applications (\(unsafeRaw: StoredRows.applicationColumns)) VALUES (
                \(bind: application.id.rawValue), \(bind: application.orgID.rawValue), \(bind: application.uid),
                \(bind: application.name), \(bind: application.throttleRate),
                \(bind: StoredValues.json(application.metadata)), \(bind: application.createdAt.microseconds),
                \(bind: application.updatedAt.microseconds))
            """
        )
    }

    public func application(org: OrganizationID, idOrUID: String) async throws -> Application? {
        try await selectApplication(org: org, idOrUID: idOrUID)
    }

    /// Reads an application by id or uid (``application(org:idOrUID:)`` without a backend's cache).
    package func selectApplication(org: OrganizationID, idOrUID: String) async throws -> Application? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.applicationColumns) FROM applications
            WHERE org_id = \(bind: org.rawValue) AND NOT deleted AND (id = \(bind: idOrUID) OR uid = \(bind: idOrUID))
            ORDER BY id = \(bind: idOrUID) DESC LIMIT 1
            """
        ).first.map { StoredRows.application($0) }
    }

    public func listApplications(org: OrganizationID, range: ListRange) async throws -> [Application] {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.applicationColumns) FROM applications
            WHERE org_id = \(bind: org.rawValue) AND NOT deleted\(range.window("id"))
            """
        ).map { StoredRows.application($0) }
    }

    public func updateApplication(_ application: Application) async throws {
        let rows = try await changing(.applications) { database in
            try await database.rows(
                """
                UPDATE applications SET uid = \(bind: application.uid), name = \(bind: application.name),
                throttle_rate = \(bind: application.throttleRate),
                metadata = \(bind: StoredValues.json(application.metadata)),
                updated_at = \(bind: application.updatedAt.microseconds)
                WHERE id = \(bind: application.id.rawValue) AND org_id = \(bind: application.orgID.rawValue)
                AND NOT deleted RETURNING id
                """
            )
        }
        if rows.isEmpty { throw StorageError.notFound("application") }
    }

    public func deleteApplication(org: OrganizationID, id: ApplicationID) async throws {
        try await changing([.applications, .endpoints, .sources]) { database in
            let rows = try await database.rows(
                """
                UPDATE applications SET deleted = \(bind: true), uid = NULL
                WHERE id = \(bind: id.rawValue) AND org_id = \(bind: org.rawValue) AND NOT deleted RETURNING id
                """
            )
            if rows.isEmpty { throw StorageError.notFound("application") }
            // The application's endpoints go with it, and so do the deliveries still waiting for them.
            try await database.rows(
                """
                UPDATE endpoints SET deleted = \(bind: true), uid = NULL WHERE app_id = \(bind: id.rawValue)
                AND NOT deleted
                """
            )
            // Found through the application's endpoints (the index on deliveries' endpoints), so that deliveries need
            // no index of their own by application, which every claim and record would have to keep up.
            try await database.rows(
                """
                UPDATE deliveries SET status = \(literal: MessageStatus.canceled.rawValue)
                WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = \(bind: id.rawValue))
                AND status IN \(DeliveryStatuses.open)
                """
            )
            // Its inbound sources too: a provider must not be told an event arrived that nobody will get.
            try await database.rows(
                """
                UPDATE sources SET deleted = \(bind: true), uid = NULL WHERE app_id = \(bind: id.rawValue)
                AND NOT deleted
                """
            )
        }
    }
}
