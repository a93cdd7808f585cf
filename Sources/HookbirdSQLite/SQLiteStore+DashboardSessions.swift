//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    public func insertDashboardSession(_ session: StoredDashboardSession, now: Timestamp) async throws {
        try await writer.write { connection in
            _ = try await connection.rows("DELETE FROM dashboard_sessions WHERE expires_at <= ?", [Self.time(now)])
            _ = try await connection.rows(
                """
                INSERT INTO dashboard_sessions (\(StoredRows.dashboardSessionColumns))
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(session.idDigest), .text(session.csrfToken), .text(session.orgID),
                    session.appID.map { .text($0) } ?? .null, Self.time(session.expiresAt),
                    try session.flash.map { try self.sealed($0) } ?? .null, .integer(session.flashIsError ? 1 : 0),
                ]
            )
        }
    }

    public func dashboardSession(idDigest: String, now: Timestamp) async throws -> StoredDashboardSession? {
        let rows = try await read(
            """
            SELECT \(StoredRows.dashboardSessionColumns) FROM dashboard_sessions
            WHERE id_digest = ? AND expires_at > ?
            """,
            [.text(idDigest), Self.time(now)]
        )
        return rows.first.map { StoredRows.dashboardSession($0, secrets: secrets) }
    }

    public func deleteDashboardSession(idDigest: String) async throws {
        try await writer.write { connection in
            _ = try await connection.rows("DELETE FROM dashboard_sessions WHERE id_digest = ?", [.text(idDigest)])
        }
    }

    public func setDashboardFlash(idDigest: String, _ flash: String?, isError: Bool) async throws {
        let stored = try flash.map { try sealed($0) } ?? .null
        try await writer.write { connection in
            _ = try await connection.rows(
                "UPDATE dashboard_sessions SET flash = ?, flash_is_error = ? WHERE id_digest = ?",
                [stored, .integer(isError ? 1 : 0), .text(idDigest)]
            )
        }
    }
}
