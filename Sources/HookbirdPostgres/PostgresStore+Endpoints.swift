//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import PostgresNIO

extension PostgresStore {
    public func insertEndpoint(_ endpoint: Endpoint) async throws {
        let secret = try secrets.seal(endpoint.secret.encoded)
        let retiredSecrets = try sealedJSON(endpoint.retiredSecrets)
        _ = try await execute(
            """
            INSERT INTO endpoints (\(unescaped: StoredRows.endpointColumns)) VALUES (
                \(endpoint.id.rawValue), \(endpoint.appID.rawValue), \(endpoint.orgID.rawValue), \(endpoint.uid),
                \(endpoint.url), \(endpoint.description), \(endpoint.disabled), \(Self.jsonOrNull(endpoint.eventTypes)),
                \(Self.jsonOrNull(endpoint.channels)), \(endpoint.throttleRate), \(Self.json(endpoint.metadata)),
                \(secret), \(retiredSecrets), \(Self.json(endpoint.headers)),
                \(Self.time(endpoint.createdAt)), \(Self.time(endpoint.updatedAt)))
            """
        )
    }

    public func endpoint(app: ApplicationID, idOrUID: String) async throws -> Endpoint? {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.endpointColumns) FROM endpoints
            WHERE app_id = \(app.rawValue) AND NOT deleted AND (id = \(idOrUID) OR uid = \(idOrUID))
            ORDER BY id = \(idOrUID) DESC LIMIT 1
            """
        ).first.map(endpoint)
    }

    public func listEndpoints(app: ApplicationID, range: ListRange) async throws -> [Endpoint] {
        let query = QueryBuilder("SELECT \(StoredRows.endpointColumns) FROM endpoints WHERE NOT deleted")
        query.append(" AND app_id = \(query.bind(app.rawValue))")
        Self.window("id", range, to: query)
        return try await execute(query.query).map(endpoint)
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        let secret = try secrets.seal(endpoint.secret.encoded)
        let retiredSecrets = try sealedJSON(endpoint.retiredSecrets)
        let rows = try await execute(
            """
            UPDATE endpoints SET uid = \(endpoint.uid), url = \(endpoint.url), description = \(endpoint.description),
            disabled = \(endpoint.disabled), event_types = \(Self.jsonOrNull(endpoint.eventTypes)),
            channels = \(Self.jsonOrNull(endpoint.channels)), throttle_rate = \(endpoint.throttleRate),
            metadata = \(Self.json(endpoint.metadata)), secret = \(secret),
            retired_secrets = \(retiredSecrets), headers = \(Self.json(endpoint.headers)),
            updated_at = \(Self.time(endpoint.updatedAt))
            WHERE id = \(endpoint.id.rawValue) AND app_id = \(endpoint.appID.rawValue) AND NOT deleted RETURNING id
            """
        )
        if rows.isEmpty { throw StorageError.notFound("endpoint") }
    }

    public func deleteEndpoint(app: ApplicationID, id: EndpointID) async throws {
        try await transaction { connection in
            let rows = try await connection.rows(
                """
                UPDATE endpoints SET deleted = true, uid = NULL
                WHERE id = \(id.rawValue) AND app_id = \(app.rawValue) AND NOT deleted RETURNING id
                """,
                logger: self.logger
            )
            if rows.isEmpty { throw StorageError.notFound("endpoint") }
            try await connection.rows(
                """
                UPDATE deliveries SET status = \(MessageStatus.canceled.rawValue)
                WHERE endpoint_id = \(id.rawValue) AND status IN (1, 3)
                """,
                logger: self.logger
            )
        }
    }
}
