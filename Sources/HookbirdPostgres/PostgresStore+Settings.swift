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
    public func sealSecrets() async throws -> Int {
        guard let fingerprint = secrets.fingerprint else { return 0 }
        let record = try secrets.seal(fingerprint)
        return try await transaction { connection in
            try await connection.rows("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: self.logger)
            let changed = try await seal("endpoints", key: "id", ["secret", "retired_secrets"], connection)
                + seal("sources", key: "id", ["settings"], connection)
                + seal("settings", key: "name", ["value"], connection)
            try await connection.rows(
                """
                INSERT INTO settings (name, value) VALUES (\(SecretsAtRest.keySetting), \(record))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """,
                logger: self.logger
            )
            return changed
        }
    }

    /// Seals with the current key the values of `columns` in the rows of `table` that are not sealed with it;
    /// returns how many rows it changed.
    private func seal(_ table: String, key: String, _ columns: [String], _ connection: PostgresConnection)
        async throws -> Int
    {
        let select = PostgresQuery(unsafeSQL: "SELECT \(key), \(columns.joined(separator: ", ")) FROM \(table)")
        var changed = 0
        for row in try await connection.rows(select, logger: logger)
        where !columns.allSatisfy({ secrets.isCurrent(row.string($0)) }) {
            let update = QueryBuilder("UPDATE \(table) SET ")
            let values = try columns.map { try secrets.reseal(row.string($0)) }
            update.append(zip(columns, values).map { "\($0) = \(update.bind($1))" }.joined(separator: ", "))
            update.append(" WHERE \(key) = \(update.bind(row.string(key)))")
            try await connection.rows(update.query, logger: logger)
            changed += 1
        }
        return changed
    }
}
