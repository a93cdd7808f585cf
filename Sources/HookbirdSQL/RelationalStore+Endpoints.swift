//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLKit

extension RelationalStore {
    public func insertEndpoint(_ endpoint: Endpoint) async throws {
        let secret = try secrets.seal(endpoint.secret.encoded)
        let retired = try secrets.seal(StoredValues.json(endpoint.retiredSecrets))
        try await changing(.endpoints) { database in
            try await database.rows(
                """
                INSERT INTO endpoints (\(unsafeRaw: StoredRows.endpointColumns)) VALUES (
                    \(bind: endpoint.id.rawValue), \(bind: endpoint.appID.rawValue), \(bind: endpoint.orgID.rawValue),
                    \(bind: endpoint.uid), \(bind: endpoint.url), \(bind: endpoint.description),
                    \(bind: endpoint.disabled), \(bind: StoredValues.jsonOrNull(endpoint.eventTypes)),
                    \(bind: StoredValues.jsonOrNull(endpoint.channels)), \(bind: endpoint.throttleRate),
                    \(bind: StoredValues.json(endpoint.metadata)), \(bind: secret), \(bind: retired),
                    \(bind: StoredValues.json(endpoint.headers)), \(bind: endpoint.createdAt.microseconds),
                    \(bind: endpoint.updatedAt.microseconds), \(bind: endpoint.maxInFlight))
                """
            )
        }
    }

    public func endpoint(app: ApplicationID, idOrUID: String) async throws -> Endpoint? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.endpointColumns) FROM endpoints
            WHERE app_id = \(bind: app.rawValue) AND NOT deleted AND (id = \(bind: idOrUID) OR uid = \(bind: idOrUID))
            ORDER BY id = \(bind: idOrUID) DESC LIMIT 1
            """
        ).first.map { StoredRows.endpoint($0, secrets: secrets) }
    }

    public func listEndpoints(app: ApplicationID, range: ListRange) async throws -> [Endpoint] {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.endpointColumns) FROM endpoints
            WHERE app_id = \(bind: app.rawValue) AND NOT deleted\(range.window("id"))
            """
        ).map { StoredRows.endpoint($0, secrets: secrets) }
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        let secret = try secrets.seal(endpoint.secret.encoded)
        let retired = try secrets.seal(StoredValues.json(endpoint.retiredSecrets))
        let rows = try await changing(.endpoints) { database in
            try await database.rows(
                """
                UPDATE endpoints SET uid = \(bind: endpoint.uid), url = \(bind: endpoint.url),
                description = \(bind: endpoint.description), disabled = \(bind: endpoint.disabled),
                event_types = \(bind: StoredValues.jsonOrNull(endpoint.eventTypes)),
                channels = \(bind: StoredValues.jsonOrNull(endpoint.channels)),
                throttle_rate = \(bind: endpoint.throttleRate), metadata = \(bind: StoredValues.json(endpoint.metadata)),
                secret = \(bind: secret), retired_secrets = \(bind: retired),
                headers = \(bind: StoredValues.json(endpoint.headers)), updated_at = \(bind: endpoint.updatedAt.microseconds),
                max_in_flight = \(bind: endpoint.maxInFlight)
                WHERE id = \(bind: endpoint.id.rawValue) AND app_id = \(bind: endpoint.appID.rawValue) AND NOT deleted
                RETURNING id
                """
            )
        }
        if rows.isEmpty { throw StorageError.notFound("endpoint") }
    }

    public func deleteEndpoint(app: ApplicationID, id: EndpointID) async throws {
        try await changing(.endpoints) { database in
            let rows = try await database.rows(
                """
                UPDATE endpoints SET deleted = \(bind: true), uid = NULL
                WHERE id = \(bind: id.rawValue) AND app_id = \(bind: app.rawValue) AND NOT deleted RETURNING id
                """
            )
            if rows.isEmpty { throw StorageError.notFound("endpoint") }
            try await database.rows(
                """
                UPDATE deliveries SET status = \(literal: MessageStatus.canceled.rawValue)
                WHERE endpoint_id = \(bind: id.rawValue) AND status IN \(DeliveryStatuses.open)
                """
            )
        }
    }
}
