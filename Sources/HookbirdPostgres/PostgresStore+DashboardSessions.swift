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
        try await transaction { connection in
            try await connection.rows(
                "DELETE FROM dashboard_sessions WHERE expires_at <= \(Self.time(now))",
                logger: self.logger
            )
            try await connection.rows(
                """
                INSERT INTO dashboard_sessions (\(unescaped: StoredRows.dashboardSessionColumns))
                VALUES (\(session.idDigest), \(session.csrfToken), \(session.orgID), \(session.appID),
                \(Self.time(session.expiresAt)), \(session.flash), \(session.flashIsError))
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
        return rows.first.map(StoredRows.dashboardSession)
    }

    public func deleteDashboardSession(idDigest: String) async throws {
        _ = try await execute("DELETE FROM dashboard_sessions WHERE id_digest = \(idDigest)")
    }

    public func setDashboardFlash(idDigest: String, _ flash: String?, isError: Bool) async throws {
        _ = try await execute(
            "UPDATE dashboard_sessions SET flash = \(flash), flash_is_error = \(isError) WHERE id_digest = \(idDigest)"
        )
    }
}
