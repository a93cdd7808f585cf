//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import PostgresNIO

extension PostgresStore {
    public func insertApplication(_ application: Application) async throws {
        _ = try await execute(
            """
            INSERT INTO applications (\(unescaped: StoredRows.applicationColumns)) VALUES (
                \(application.id.rawValue), \(application.orgID.rawValue), \(application.uid), \(application.name),
                \(application.throttleRate), \(Self.json(application.metadata)), \(Self.time(application.createdAt)),
                \(Self.time(application.updatedAt)))
            """
        )
    }

    /// Not cached, unlike on SQLite: another node may change the application at any time.
    public func application(org: OrganizationID, idOrUID: String) async throws -> Application? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.applicationColumns) FROM applications
            WHERE org_id = \(org.rawValue) AND NOT deleted AND (id = \(idOrUID) OR uid = \(idOrUID))
            ORDER BY id = \(idOrUID) DESC LIMIT 1
            """
        ).first.map(StoredRows.application)
    }

    public func listApplications(org: OrganizationID, range: ListRange) async throws -> [Application] {
        let query = QueryBuilder("SELECT \(StoredRows.applicationColumns) FROM applications WHERE NOT deleted")
        query.append(" AND org_id = \(query.bind(org.rawValue))")
        Self.window("id", range, to: query)
        return try await execute(query.query).map(StoredRows.application)
    }

    public func updateApplication(_ application: Application) async throws {
        let rows = try await execute(
            """
            UPDATE applications SET uid = \(application.uid), name = \(application.name),
            throttle_rate = \(application.throttleRate), metadata = \(Self.json(application.metadata)),
            updated_at = \(Self.time(application.updatedAt))
            WHERE id = \(application.id.rawValue) AND org_id = \(application.orgID.rawValue) AND NOT deleted
            RETURNING id
            """
        )
        if rows.isEmpty { throw StorageError.notFound("application") }
    }

    public func deleteApplication(org: OrganizationID, id: ApplicationID) async throws {
        try await transaction { connection in
            let rows = try await connection.rows(
                """
                UPDATE applications SET deleted = true, uid = NULL
                WHERE id = \(id.rawValue) AND org_id = \(org.rawValue) AND NOT deleted RETURNING id
                """,
                logger: self.logger
            )
            if rows.isEmpty { throw StorageError.notFound("application") }
            // The application's endpoints go with it, and so do the deliveries still waiting for them.
            try await connection.rows(
                "UPDATE endpoints SET deleted = true, uid = NULL WHERE app_id = \(id.rawValue) AND NOT deleted",
                logger: self.logger
            )
            try await connection.rows(
                """
                UPDATE deliveries SET status = \(MessageStatus.canceled.rawValue)
                WHERE app_id = \(id.rawValue) AND status IN (1, 3)
                """,
                logger: self.logger
            )
            // Its inbound sources too: a provider must not be told an event arrived that nobody will get.
            try await connection.rows(
                "UPDATE sources SET deleted = true, uid = NULL WHERE app_id = \(id.rawValue) AND NOT deleted",
                logger: self.logger
            )
        }
    }
}
