//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import PostgresNIO

extension PostgresStore {
    /// Settings are secrets (the generated JWT secret), sealed with the store's key.
    public func setting(_ name: String) async throws -> String? {
        try await execute("SELECT value FROM settings WHERE name = \(name)").first?.optionalString("value")
            .map { try secrets.open($0) }
    }

    public func insertSettingIfAbsent(_ name: String, value: String) async throws -> String {
        let sealed = try secrets.seal(value)
        let stored = try await transaction { connection in
            try await connection.rows(
                "INSERT INTO settings (name, value) VALUES (\(name), \(sealed)) ON CONFLICT (name) DO NOTHING",
                logger: self.logger
            )
            let rows = try await connection.rows("SELECT value FROM settings WHERE name = \(name)", logger: self.logger)
            return rows.first?.optionalString("value")
        }
        return try stored.map { try secrets.open($0) } ?? value
    }

    /// As on `SQLiteStore`; nodes starting at once take turns (the migrations' advisory lock).
    public func sealPlaintextSecrets() async throws -> Int {
        guard secrets.seals else { return 0 }
        return try await transaction { connection in
            try await connection.rows("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: self.logger)
            return try await sealPlaintext("endpoints", key: "id", ["secret", "retired_secrets"], on: connection)
                + sealPlaintext("sources", key: "id", ["settings"], on: connection)
                + sealPlaintext("settings", key: "name", ["value"], on: connection)
        }
    }

    /// Seals the values of `columns` in the rows of `table` that hold plaintext; returns how many rows it changed.
    private func sealPlaintext(
        _ table: String,
        key: String,
        _ columns: [String],
        on connection: PostgresConnection
    ) async throws -> Int {
        let select = QueryBuilder("SELECT \(key), \(columns.joined(separator: ", ")) FROM \(table) WHERE ")
        let pattern = select.bind(SecretsCipher.sealedPattern)
        select.append(columns.map { "\($0) NOT LIKE \(pattern)" }.joined(separator: " OR "))
        let rows = try await connection.rows(select.query, logger: logger)
        for row in rows {
            let update = QueryBuilder("UPDATE \(table) SET ")
            let values = try columns.map { try secrets.sealIfPlain(row.string($0)) }
            update.append(zip(columns, values).map { "\($0) = \(update.bind($1))" }.joined(separator: ", "))
            update.append(" WHERE \(key) = \(update.bind(row.string(key)))")
            try await connection.rows(update.query, logger: logger)
        }
        return rows.count
    }
}
