//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    static let applicationColumns = StoredRows.applicationColumns

    static func application(_ row: SQLiteRow) -> Application { StoredRows.application(row) }

    public func insertApplication(_ application: Application) async throws {
        try await writer.write { connection in
            _ = try await connection.rows(
                "INSERT INTO applications (\(Self.applicationColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(application.id.rawValue), .text(application.orgID.rawValue), Self.text(application.uid),
                    .text(application.name), Self.int(application.throttleRate), Self.json(application.metadata),
                    Self.time(application.createdAt), Self.time(application.updatedAt),
                ]
            )
        }
    }

    public func application(org: OrganizationID, idOrUID: String) async throws -> Application? {
        try await applicationCache.value(org.rawValue + "|" + idOrUID) {
            try await read(
                """
                SELECT \(Self.applicationColumns) FROM applications
                WHERE org_id = ? AND deleted = 0 AND (id = ? OR uid = ?) ORDER BY id = ? DESC LIMIT 1
                """,
                [.text(org.rawValue), .text(idOrUID), .text(idOrUID), .text(idOrUID)]
            ).first.map(Self.application)
        }
    }

    public func listApplications(org: OrganizationID, range: ListRange) async throws -> [Application] {
        let window = Self.window("id", range)
        return try await read(
            "SELECT \(Self.applicationColumns) FROM applications WHERE org_id = ? AND deleted = 0"
                + window.sql + window.order,
            [.text(org.rawValue)] + window.binds
        ).map(Self.application)
    }

    public func updateApplication(_ application: Application) async throws {
        defer { applicationCache.clear() }
        try await writer.write { connection in
            let rows = try await connection.rows(
                """
                UPDATE applications SET uid = ?, name = ?, throttle_rate = ?, metadata = ?, updated_at = ?
                WHERE id = ? AND org_id = ? AND deleted = 0 RETURNING id
                """,
                [
                    Self.text(application.uid), .text(application.name), Self.int(application.throttleRate),
                    Self.json(application.metadata), Self.time(application.updatedAt), .text(application.id.rawValue),
                    .text(application.orgID.rawValue),
                ]
            )
            if rows.isEmpty { throw StorageError.notFound("application") }
        }
    }

    public func deleteApplication(org: OrganizationID, id: ApplicationID) async throws {
        defer {
            applicationCache.clear()
            sourceCache.clear()
        }
        try await writer.write { connection in
            self.fanOutCache.clear()
            let rows = try await connection.rows(
                "UPDATE applications SET deleted = 1, uid = NULL WHERE id = ? AND org_id = ? AND deleted = 0 RETURNING id",
                [.text(id.rawValue), .text(org.rawValue)]
            )
            if rows.isEmpty { throw StorageError.notFound("application") }
            // The application's endpoints go with it, and so do the deliveries still waiting for them.
            _ = try await connection.rows(
                "UPDATE endpoints SET deleted = 1, uid = NULL WHERE app_id = ? AND deleted = 0",
                [.text(id.rawValue)]
            )
            _ = try await connection.rows(
                "UPDATE deliveries SET status = \(MessageStatus.canceled.rawValue) WHERE app_id = ? AND status IN (1, 3)",
                [.text(id.rawValue)]
            )
            // Its inbound sources too: a provider must not be told an event arrived that nobody will get.
            _ = try await connection.rows(
                "UPDATE sources SET deleted = 1, uid = NULL WHERE app_id = ? AND deleted = 0",
                [.text(id.rawValue)]
            )
        }
    }
}
