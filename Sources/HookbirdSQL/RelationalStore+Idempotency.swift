//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import NIOCore
import SQLKit

extension RelationalStore {
    /// Takes the key when it is free: a new key is inserted as started; a key already there is read (locked until
    /// the transaction ends on PostgreSQL, so two nodes racing for it cannot both take it; SQLite's single writer
    /// serialises the two) and taken over only when its lock has run out, or its response has expired.
    public func acquireIdempotencyKey(_ key: String, now: Timestamp, lockTimeout: Duration) async throws
        -> IdempotencyState
    {
        let lockedUntil = now.adding(lockTimeout).microseconds
        let flavor = self.flavor
        return try await transaction { database in
            let inserted = try await database.rows(
                """
                INSERT INTO idempotency_keys (key, state, locked_until)
                VALUES (\(bind: key), \(literal: IdempotencyRow.started), \(bind: lockedUntil))
                ON CONFLICT (key) DO NOTHING RETURNING key
                """
            )
            if !inserted.isEmpty { return .acquired }
            let rows = try await database.rows(
                """
                SELECT state, status, headers, body, locked_until, expires_at FROM idempotency_keys
                WHERE key = \(bind: key)\(flavor.forUpdate)
                """
            )
            if let row = rows.first {
                if row.int("state") == IdempotencyRow.completed, row.int("expires_at") > Int(now.microseconds) {
                    return .completed(
                        IdempotentResponse(
                            status: row.int("status"),
                            headers: row.json([String: String].self, "headers") ?? [:],
                            body: row.bytes("body")
                        )
                    )
                }
                if row.int("state") == IdempotencyRow.started, row.int("locked_until") > Int(now.microseconds) {
                    return .inProgress
                }
            }
            try await database.rows(
                """
                UPDATE idempotency_keys SET state = \(literal: IdempotencyRow.started), locked_until = \(bind: lockedUntil),
                status = NULL, headers = NULL, body = NULL, expires_at = NULL WHERE key = \(bind: key)
                """
            )
            return .acquired
        }
    }

    public func completeIdempotencyKey(_ key: String, response: IdempotentResponse, expiresAt: Timestamp) async throws {
        try await transaction { database in
            try await database.rows(
                """
                UPDATE idempotency_keys SET state = \(literal: IdempotencyRow.completed), status = \(bind: response.status),
                headers = \(bind: StoredValues.json(response.headers)), body = \(bind: ByteBuffer(bytes: response.body)),
                expires_at = \(bind: expiresAt.microseconds) WHERE key = \(bind: key)
                """
            )
            // Keep the table small: drop what has expired.
            try await database.rows(
                """
                DELETE FROM idempotency_keys WHERE state = \(literal: IdempotencyRow.completed)
                AND expires_at < \(bind: Timestamp.now.microseconds)
                """
            )
        }
    }

    public func releaseIdempotencyKey(_ key: String) async throws {
        try await write(
            "DELETE FROM idempotency_keys WHERE key = \(bind: key) AND state = \(literal: IdempotencyRow.started)"
        )
    }
}

/// The states of an `idempotency_keys` row.
private enum IdempotencyRow {
    static let started = 0
    static let completed = 1
}
