//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    static let endpointColumns = StoredRows.endpointColumns

    func endpoint(_ row: SQLiteRow) -> Endpoint { StoredRows.endpoint(row, secrets: secrets) }

    public func insertEndpoint(_ endpoint: Endpoint) async throws {
        try await writer.write { connection in
            self.fanOutCache.clear()
            _ = try await connection.rows(
                "INSERT INTO endpoints (\(Self.endpointColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(endpoint.id.rawValue), .text(endpoint.appID.rawValue), .text(endpoint.orgID.rawValue),
                    Self.text(endpoint.uid), .text(endpoint.url), .text(endpoint.description),
                    .integer(endpoint.disabled ? 1 : 0), Self.jsonOrNull(endpoint.eventTypes),
                    Self.jsonOrNull(endpoint.channels), Self.int(endpoint.throttleRate), Self.json(endpoint.metadata),
                    try self.sealed(endpoint.secret.encoded), try self.sealedJSON(endpoint.retiredSecrets),
                    Self.json(endpoint.headers),
                    Self.time(endpoint.createdAt), Self.time(endpoint.updatedAt),
                ]
            )
        }
    }

    public func endpoint(app: ApplicationID, idOrUID: String) async throws -> Endpoint? {
        try await read(
            """
            SELECT \(Self.endpointColumns) FROM endpoints
            WHERE app_id = ? AND deleted = 0 AND (id = ? OR uid = ?) ORDER BY id = ? DESC LIMIT 1
            """,
            [.text(app.rawValue), .text(idOrUID), .text(idOrUID), .text(idOrUID)]
        ).first.map(endpoint)
    }

    public func listEndpoints(app: ApplicationID, range: ListRange) async throws -> [Endpoint] {
        let window = Self.window("id", range)
        return try await read(
            "SELECT \(Self.endpointColumns) FROM endpoints WHERE app_id = ? AND deleted = 0" + window.sql
                + window.order,
            [.text(app.rawValue)] + window.binds
        ).map(endpoint)
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        try await writer.write { connection in
            self.fanOutCache.clear()
            let rows = try await connection.rows(
                """
                UPDATE endpoints SET uid = ?, url = ?, description = ?, disabled = ?, event_types = ?, channels = ?,
                throttle_rate = ?, metadata = ?, secret = ?, retired_secrets = ?, headers = ?, updated_at = ?
                WHERE id = ? AND app_id = ? AND deleted = 0 RETURNING id
                """,
                [
                    Self.text(endpoint.uid), .text(endpoint.url), .text(endpoint.description),
                    .integer(endpoint.disabled ? 1 : 0), Self.jsonOrNull(endpoint.eventTypes),
                    Self.jsonOrNull(endpoint.channels), Self.int(endpoint.throttleRate), Self.json(endpoint.metadata),
                    try self.sealed(endpoint.secret.encoded), try self.sealedJSON(endpoint.retiredSecrets),
                    Self.json(endpoint.headers),
                    Self.time(endpoint.updatedAt), .text(endpoint.id.rawValue), .text(endpoint.appID.rawValue),
                ]
            )
            if rows.isEmpty { throw StorageError.notFound("endpoint") }
        }
    }

    public func deleteEndpoint(app: ApplicationID, id: EndpointID) async throws {
        try await writer.write { connection in
            self.fanOutCache.clear()
            let rows = try await connection.rows(
                "UPDATE endpoints SET deleted = 1, uid = NULL WHERE id = ? AND app_id = ? AND deleted = 0 RETURNING id",
                [.text(id.rawValue), .text(app.rawValue)]
            )
            if rows.isEmpty { throw StorageError.notFound("endpoint") }
            _ = try await connection.rows(
                "UPDATE deliveries SET status = \(MessageStatus.canceled.rawValue) WHERE endpoint_id = ? AND status IN (1, 3)",
                [.text(id.rawValue)]
            )
        }
    }
}
