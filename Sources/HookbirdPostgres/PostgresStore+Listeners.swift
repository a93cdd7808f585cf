//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import PostgresNIO

/// Several nodes: a listener's deliveries go to the node its stream lives in (see `claimDeliveries`).
extension PostgresStore: ListenerRegistry {
    public func registerListener(_ endpoint: EndpointID, until: Timestamp) async throws {
        let now = Self.time(.now)
        try await transaction { connection in
            try await connection.rows(
                "DELETE FROM listener_connections WHERE expires_at <= \(now)",
                logger: self.logger
            )
            try await connection.rows(
                """
                INSERT INTO listener_connections (endpoint_id, node_id, expires_at)
                VALUES (\(endpoint.rawValue), \(self.nodeID), \(Self.time(until)))
                ON CONFLICT (endpoint_id) DO UPDATE SET node_id = excluded.node_id, expires_at = excluded.expires_at
                """,
                logger: self.logger
            )
        }
    }

    /// Also records the registration again when it is gone (it ran out while the database was away).
    public func renewListener(_ endpoint: EndpointID, until: Timestamp) async throws {
        let now = Self.time(.now)
        _ = try await execute(
            """
            INSERT INTO listener_connections AS current (endpoint_id, node_id, expires_at)
            VALUES (\(endpoint.rawValue), \(nodeID), \(Self.time(until)))
            ON CONFLICT (endpoint_id) DO UPDATE SET node_id = excluded.node_id, expires_at = excluded.expires_at
            WHERE current.node_id = excluded.node_id OR current.expires_at <= \(now)
            """
        )
    }

    public func unregisterListener(_ endpoint: EndpointID) async throws {
        _ = try await execute(
            "DELETE FROM listener_connections WHERE endpoint_id = \(endpoint.rawValue) AND node_id = \(nodeID)"
        )
    }
}
