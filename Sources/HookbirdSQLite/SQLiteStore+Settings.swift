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

    public func sealPlaintextSecrets() async throws -> Int {
        guard secrets.seals else { return 0 }
        defer { sourceCache.clear() }
        return try await writer.write { connection in
            self.fanOutCache.clear()
            return try await self.sealPlaintext("endpoints", key: "id", ["secret", "retired_secrets"], on: connection)
                + self.sealPlaintext("sources", key: "id", ["settings"], on: connection)
                + self.sealPlaintext("settings", key: "name", ["value"], on: connection)
        }
    }

    /// Seals the values of `columns` in the rows of `table` that hold plaintext; returns how many rows it changed.
    private func sealPlaintext(
        _ table: String,
        key: String,
        _ columns: [String],
        on connection: SQLiteConnection
    ) async throws -> Int {
        let rows = try await connection.rows(
            "SELECT \(key), \(columns.joined(separator: ", ")) FROM \(table) WHERE "
                + columns.map { "\($0) NOT LIKE ?" }.joined(separator: " OR "),
            columns.map { _ in .text(SecretsCipher.sealedPattern) }
        )
        for row in rows {
            let values = try columns.map { SQLiteData.text(try secrets.sealIfPlain(row.string($0))) }
            _ = try await connection.rows(
                "UPDATE \(table) SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE \(key) = ?",
                values + [.text(row.string(key))]
            )
        }
        return rows.count
    }
}
