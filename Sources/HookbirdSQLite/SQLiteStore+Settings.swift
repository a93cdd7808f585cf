//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    /// Settings are secrets (the generated JWT secret), sealed with the store's key.
    public func setting(_ name: String) async throws -> String? {
        try await read("SELECT value FROM settings WHERE name = ?", [.text(name)]).first?.optionalString("value")
            .map { try secrets.open($0) }
    }

    public func insertSettingIfAbsent(_ name: String, value: String) async throws -> String {
        let stored = try await writer.write { connection in
            _ = try await connection.rows(
                "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [.text(name), try self.sealed(value)]
            )
            let rows = try await connection.rows("SELECT value FROM settings WHERE name = ?", [.text(name)])
            return rows.first?.optionalString("value")
        }
        return try stored.map { try secrets.open($0) } ?? value
    }

    public func sealSecrets() async throws -> Int {
        guard let fingerprint = secrets.fingerprint else { return 0 }
        defer { sourceCache.clear() }
        return try await writer.write { connection in
            self.fanOutCache.clear()
            let changed = try await self.seal("endpoints", key: "id", ["secret", "retired_secrets"], connection)
                + self.seal("sources", key: "id", ["settings"], connection)
                + self.seal("settings", key: "name", ["value"], connection)
            _ = try await connection.rows(
                """
                INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """,
                [.text(SecretsAtRest.keySetting), try self.sealed(fingerprint)]
            )
            return changed
        }
    }

    /// Seals with the current key the values of `columns` in the rows of `table` that are not sealed with it;
    /// returns how many rows it changed.
    private func seal(_ table: String, key: String, _ columns: [String], _ connection: SQLiteConnection) async throws
        -> Int
    {
        var changed = 0
        for row in try await connection.rows("SELECT \(key), \(columns.joined(separator: ", ")) FROM \(table)")
        where !columns.allSatisfy({ secrets.isCurrent(row.string($0)) }) {
            let values = try columns.map { SQLiteData.text(try secrets.reseal(row.string($0))) }
            _ = try await connection.rows(
                "UPDATE \(table) SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE \(key) = ?",
                values + [.text(row.string(key))]
            )
            changed += 1
        }
        return changed
    }
}
