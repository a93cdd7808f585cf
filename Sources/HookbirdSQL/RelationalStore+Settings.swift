//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
package import SQLKit

extension RelationalStore {
    /// Settings are secrets (the generated JWT secret), sealed with the store's key.
    public func setting(_ name: String) async throws -> String? {
        try await read("SELECT value FROM settings WHERE name = \(bind: name)").first?.optionalString("value")
            .map { try secrets.open($0) }
    }

    public func insertSettingIfAbsent(_ name: String, value: String) async throws -> String {
        let sealed = try secrets.seal(value)
        let stored = try await transaction { database in
            try await database.rows(
                "INSERT INTO settings (name, value) VALUES (\(bind: name), \(bind: sealed)) ON CONFLICT (name) DO NOTHING"
            )
            return try await database.rows("SELECT value FROM settings WHERE name = \(bind: name)").first?
                .optionalString("value")
        }
        return try stored.map { try secrets.open($0) } ?? value
    }

    /// Seals every secret with the current key in one transaction; on PostgreSQL, nodes starting at once take turns
    /// (the migrations' advisory lock).
    public func sealSecrets() async throws -> Int {
        guard let fingerprint = secrets.fingerprint else { return 0 }
        let record = try secrets.seal(fingerprint)
        let flavor = self.flavor
        return try await changing([.endpoints, .sources]) { database in
            if let lock = flavor.migrationLock { try await database.rows(lock) }
            let changed = try await self.seal("endpoints", key: "id", ["secret", "retired_secrets"], database)
                + self.seal("sources", key: "id", ["settings"], database)
                + self.seal("settings", key: "name", ["value"], database)
            try await database.rows(
                """
                INSERT INTO settings (name, value) VALUES (\(bind: SecretsAtRest.keySetting), \(bind: record))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """
            )
            return changed
        }
    }

    /// Seals with the current key the values of `columns` in the rows of `table` that are not sealed with it;
    /// returns how many rows it changed.
    private func seal(_ table: String, key: String, _ columns: [String], _ database: any SQLDatabase) async throws
        -> Int
    {
        var changed = 0
        for row in try await database.rows(
            "SELECT \(unsafeRaw: key), \(unsafeRaw: columns.joined(separator: ", ")) FROM \(unsafeRaw: table)"
        ) where !columns.allSatisfy({ secrets.isCurrent(row.string($0)) }) {
            var assignments: [SQLQueryString] = []
            for column in columns {
                assignments.append("\(unsafeRaw: column) = \(bind: try secrets.reseal(row.string(column)))")
            }
            try await database.rows(
                """
                UPDATE \(unsafeRaw: table) SET \(assignments.joined(separator: ", "))
                WHERE \(unsafeRaw: key) = \(bind: row.string(key))
                """
            )
            changed += 1
        }
        return changed
    }
}

extension SQLFlavor {
    /// The statement that serialises migrations (and the sealing of secrets) between nodes starting at once, where
    /// several processes share the database.
    package var migrationLock: SQLQueryString? {
        switch self {
        case .sqlite: nil
        case .postgres: "SELECT pg_advisory_xact_lock(\(literal: Self.migrationLockKey))"
        }
    }

    /// The `pg_advisory_xact_lock` key of migrations: "hookbird".
    package static let migrationLockKey: Int64 = 0x686F_6F6B_6269_7264
}
