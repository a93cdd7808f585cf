//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLKit

extension RelationalStore {
    public func insertDashboardSession(_ session: StoredDashboardSession, now: Timestamp) async throws {
        let flash = try session.flash.map { try secrets.seal($0) }
        try await transaction { database in
            try await database.rows("DELETE FROM dashboard_sessions WHERE expires_at <= \(bind: now.microseconds)")
            try await database.rows(
                """
                INSERT INTO dashboard_sessions (\(unsafeRaw: StoredRows.dashboardSessionColumns)) VALUES (
                    \(bind: session.idDigest), \(bind: session.csrfToken), \(bind: session.orgID), \(bind: session.appID),
                    \(bind: session.expiresAt.microseconds), \(bind: flash), \(bind: session.flashIsError))
                """
            )
        }
    }

    public func dashboardSession(idDigest: String, now: Timestamp) async throws -> StoredDashboardSession? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.dashboardSessionColumns) FROM dashboard_sessions
            WHERE id_digest = \(bind: idDigest) AND expires_at > \(bind: now.microseconds)
            """
        ).first.map { StoredRows.dashboardSession($0, secrets: secrets) }
    }

    public func deleteDashboardSession(idDigest: String) async throws {
        try await write("DELETE FROM dashboard_sessions WHERE id_digest = \(bind: idDigest)")
    }

    public func setDashboardFlash(idDigest: String, _ flash: String?, isError: Bool) async throws {
        let stored = try flash.map { try secrets.seal($0) }
        try await write(
            """
            UPDATE dashboard_sessions SET flash = \(bind: stored), flash_is_error = \(bind: isError)
            WHERE id_digest = \(bind: idDigest)
            """
        )
    }
}
