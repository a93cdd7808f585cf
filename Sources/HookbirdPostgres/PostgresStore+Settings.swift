//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import PostgresNIO

extension PostgresStore {
    public func setting(_ name: String) async throws -> String? {
        try await execute("SELECT value FROM settings WHERE name = \(name)").first?.optionalString("value")
    }

    public func insertSettingIfAbsent(_ name: String, value: String) async throws -> String {
        try await transaction { connection in
            try await connection.rows(
                "INSERT INTO settings (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO NOTHING",
                logger: self.logger
            )
            let rows = try await connection.rows("SELECT value FROM settings WHERE name = \(name)", logger: self.logger)
            return rows.first?.optionalString("value") ?? value
        }
    }
}
