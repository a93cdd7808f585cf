//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
package import HookbirdCore
package import HookbirdStorage
import NIOCore
package import SQLKit

/// The few column types the schema uses, read the same way from every backend's rows: text (JSON is stored as
/// text), integers (times are microseconds since 1970), booleans (0/1 on SQLite) and bytes.
extension SQLRow {
    /// The text in the column, or `""` when it is NULL.
    package func string(_ name: String) -> String { optionalString(name) ?? "" }

    package func optionalString(_ name: String) -> String? { value(name, String.self) }

    /// The integer in the column, or 0 when it is NULL.
    package func int(_ name: String) -> Int { optionalInt(name) ?? 0 }

    package func optionalInt(_ name: String) -> Int? { value(name, Int.self) }

    package func bool(_ name: String) -> Bool { value(name, Bool.self) ?? false }

    /// The bytes in the column (a text column's UTF-8), or none when it is NULL.
    package func bytes(_ name: String) -> [UInt8] {
        guard var buffer = value(name, ByteBuffer.self) else { return [] }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// The time in the column (microseconds since 1970).
    package func time(_ name: String) -> Timestamp { Timestamp(microseconds: Int64(int(name))) }

    package func optionalTime(_ name: String) -> Timestamp? {
        optionalInt(name).map { Timestamp(microseconds: Int64($0)) }
    }

    /// The JSON text in the column decoded as `T`; `nil` when NULL or not decodable.
    package func json<T: Decodable>(_ type: T.Type, _ name: String) -> T? {
        optionalString(name).flatMap { Self.decodeJSON(T.self, $0) }
    }

    /// The text in a column of secrets, opened with `secrets`; `nil` when NULL or when the key does not open it
    /// (the key is checked at start, see ``SecretsAtRestStore/prepareSecrets()``).
    package func secret(_ name: String, _ secrets: SecretsCipher) -> String? {
        optionalString(name).flatMap { try? secrets.open($0) }
    }

    /// The JSON in a column of secrets (see ``secret(_:_:)``) decoded as `T`.
    package func secretJSON<T: Decodable>(_ type: T.Type, _ name: String, _ secrets: SecretsCipher) -> T? {
        secret(name, secrets).flatMap { Self.decodeJSON(T.self, $0) }
    }

    /// The column's value, or `nil` when it is NULL, missing or of another type.
    private func value<T: Decodable>(_ name: String, _ type: T.Type) -> T? {
        guard (try? decodeNil(column: name)) == false else { return nil }
        return try? decode(column: name, as: T.self)
    }

    private static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
