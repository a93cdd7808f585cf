//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    public func setting(_ name: String) async throws -> String? {
        try await read("SELECT value FROM settings WHERE name = ?", [.text(name)]).first?.optionalString("value")
    }

    public func insertSettingIfAbsent(_ name: String, value: String) async throws -> String {
        try await writer.write { connection in
            _ = try await connection.rows(
                "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [.text(name), .text(value)]
            )
            let rows = try await connection.rows("SELECT value FROM settings WHERE name = ?", [.text(name)])
            return rows.first?.optionalString("value") ?? value
        }
    }
}
