//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdSQL
import SQLiteNIO

/// Values as the backend's own statements bind them.
extension SQLiteStore {
    static func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }

    static func json(_ value: some Encodable) -> SQLiteData { .text(StoredValues.json(value)) }

    static func jsonOrNull(_ value: (some Encodable)?) -> SQLiteData { value.map { json($0) } ?? .null }

    static func time(_ value: Timestamp) -> SQLiteData { .integer(Int(value.microseconds)) }

    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }
}
