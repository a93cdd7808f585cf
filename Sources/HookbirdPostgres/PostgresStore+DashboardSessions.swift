//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import PostgresNIO

extension PostgresStore {
    public func insertDashboardSession(_ session: StoredDashboardSession, now: Timestamp) async throws {
        let flash = try session.flash.map { try secrets.seal($0) }
        try await transaction { connection in
            try await connection.rows(
                "DELETE FROM dashboard_sessions WHERE expires_at <= \(Self.time(now))",
                logger: self.logger
            )
            try await connection.rows(
                """
                INSERT INTO dashboard_sessions (\(unescaped: StoredRows.dashboardSessionColumns))
                VALUES (\(session.idDigest), \(session.csrfToken), \(session.orgID), \(session.appID),
                \(Self.time(session.expiresAt)), \(flash), \(session.flashIsError))
                """,
                logger: self.logger
            )
        }
    }

    public func dashboardSession(idDigest: String, now: Timestamp) async throws -> StoredDashboardSession? {
        let rows = try await execute(
            """
            SELECT \(unescaped: StoredRows.dashboardSessionColumns) FROM dashboard_sessions
            WHERE id_digest = \(idDigest) AND expires_at > \(Self.time(now))
            """
        )
        return rows.first.map { StoredRows.dashboardSession($0, secrets: secrets) }
    }

    public func deleteDashboardSession(idDigest: String) async throws {
        _ = try await execute("DELETE FROM dashboard_sessions WHERE id_digest = \(idDigest)")
    }

    public func setDashboardFlash(idDigest: String, _ flash: String?, isError: Bool) async throws {
        let stored = try flash.map { try secrets.seal($0) }
        _ = try await execute(
            "UPDATE dashboard_sessions SET flash = \(stored), flash_is_error = \(isError) WHERE id_digest = \(idDigest)"
        )
    }
}
