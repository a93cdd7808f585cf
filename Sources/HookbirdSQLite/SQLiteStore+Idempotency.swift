//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import NIOCore
import SQLiteNIO

extension SQLiteStore {
    private static let started = 0
    private static let completed = 1

    public func acquireIdempotencyKey(_ key: String, now: Timestamp, lockTimeout: Duration) async throws
        -> IdempotencyState
    {
        let lockedUntil = now.adding(lockTimeout)
        return try await writer.write { connection in
            let rows = try await connection.rows(
                "SELECT state, status, headers, body, locked_until, expires_at FROM idempotency_keys WHERE key = ?",
                [.text(key)]
            )
            if let row = rows.first {
                if row.int("state") == Self.completed, row.int("expires_at") > Int(now.microseconds) {
                    var body = row.column("body")?.blob ?? ByteBuffer()
                    let bytes = body.readBytes(length: body.readableBytes) ?? []
                    return .completed(
                        IdempotentResponse(
                            status: row.int("status"),
                            headers: Self.decode([String: String].self, row.column("headers")) ?? [:],
                            body: bytes
                        )
                    )
                }
                if row.int("state") == Self.started, row.int("locked_until") > Int(now.microseconds) {
                    return .inProgress
                }
            }
            _ = try await connection.rows(
                """
                INSERT INTO idempotency_keys (key, state, locked_until) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET state = excluded.state, locked_until = excluded.locked_until,
                status = NULL, headers = NULL, body = NULL, expires_at = NULL
                """,
                [.text(key), .integer(Self.started), Self.time(lockedUntil)]
            )
            return .acquired
        }
    }

    public func completeIdempotencyKey(_ key: String, response: IdempotentResponse, expiresAt: Timestamp) async throws {
        try await writer.write { connection in
            _ = try await connection.rows(
                "UPDATE idempotency_keys SET state = ?, status = ?, headers = ?, body = ?, expires_at = ? WHERE key = ?",
                [
                    .integer(Self.completed), .integer(response.status), Self.json(response.headers),
                    .blob(ByteBuffer(bytes: response.body)), Self.time(expiresAt), .text(key),
                ]
            )
            // Keep the table small: drop what has expired.
            _ = try await connection.rows(
                "DELETE FROM idempotency_keys WHERE state = ? AND expires_at < ?",
                [.integer(Self.completed), Self.time(Timestamp.now)]
            )
        }
    }

    public func releaseIdempotencyKey(_ key: String) async throws {
        try await writer.write { connection in
            _ = try await connection.rows(
                "DELETE FROM idempotency_keys WHERE key = ? AND state = ?",
                [.text(key), .integer(Self.started)]
            )
        }
    }
}
