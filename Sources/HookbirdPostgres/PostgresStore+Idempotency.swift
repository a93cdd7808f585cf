//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import NIOCore
import PostgresNIO

extension PostgresStore {
    private static let started = 0
    private static let completed = 1

    /// As on `SQLiteStore`, but the key's row is locked (`SELECT … FOR UPDATE`, after inserting a placeholder
    /// when there is none) so that two nodes racing for the same key cannot both acquire it.
    public func acquireIdempotencyKey(_ key: String, now: Timestamp, lockTimeout: Duration) async throws
        -> IdempotencyState
    {
        let lockedUntil = Self.time(now.adding(lockTimeout))
        let nowValue = Self.time(now)
        return try await transaction { connection in
            let inserted = try await connection.rows(
                """
                INSERT INTO idempotency_keys (key, state, locked_until) VALUES (\(key), \(Self.started), \(lockedUntil))
                ON CONFLICT (key) DO NOTHING RETURNING key
                """,
                logger: self.logger
            )
            if !inserted.isEmpty { return .acquired }
            let rows = try await connection.rows(
                """
                SELECT state, status, headers, body, locked_until, expires_at FROM idempotency_keys
                WHERE key = \(key) FOR UPDATE
                """,
                logger: self.logger
            )
            if let row = rows.first {
                if row.int("state") == Self.completed, row.int("expires_at") > nowValue {
                    return .completed(
                        IdempotentResponse(
                            status: row.int("status"),
                            headers: row.json([String: String].self, "headers") ?? [:],
                            body: row.bytes("body")
                        )
                    )
                }
                if row.int("state") == Self.started, row.int("locked_until") > nowValue {
                    return .inProgress
                }
            }
            try await connection.rows(
                """
                INSERT INTO idempotency_keys (key, state, locked_until) VALUES (\(key), \(Self.started), \(lockedUntil))
                ON CONFLICT (key) DO UPDATE SET state = excluded.state, locked_until = excluded.locked_until,
                status = NULL, headers = NULL, body = NULL, expires_at = NULL
                """,
                logger: self.logger
            )
            return .acquired
        }
    }

    public func completeIdempotencyKey(_ key: String, response: IdempotentResponse, expiresAt: Timestamp) async throws {
        try await transaction { connection in
            try await connection.rows(
                """
                UPDATE idempotency_keys SET state = \(Self.completed), status = \(response.status),
                headers = \(Self.json(response.headers)), body = \(ByteBuffer(bytes: response.body)),
                expires_at = \(Self.time(expiresAt))
                WHERE key = \(key)
                """,
                logger: self.logger
            )
            // Keep the table small: drop what has expired.
            try await connection.rows(
                """
                DELETE FROM idempotency_keys
                WHERE state = \(Self.completed) AND expires_at < \(Self.time(Timestamp.now))
                """,
                logger: self.logger
            )
        }
    }

    public func releaseIdempotencyKey(_ key: String) async throws {
        _ = try await execute("DELETE FROM idempotency_keys WHERE key = \(key) AND state = \(Self.started)")
    }
}
