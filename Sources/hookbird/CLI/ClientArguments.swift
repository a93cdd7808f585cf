//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import HookbirdCore

/// `--limit` and `--iterator` of list commands.
struct PageOptions: ParsableArguments {
    @Option(help: "Items per page, 1 to 250. (default: 50)")
    var limit: Int?

    @Option(help: "Continue after this item: the iterator a previous page printed.")
    var iterator: String?

    /// The query parameters.
    var query: [(String, String?)] { [("limit", limit.map(String.init)), ("iterator", iterator)] }
}

/// A point in time given as RFC 3339 (`2026-11-22T08:00:00Z`) or as a time ago (`90s`, `30m`, `1h`, `2d`).
struct TimeArgument: ExpressibleByArgument, Sendable {
    /// The instant.
    var timestamp: Timestamp

    init?(argument: String) {
        self.init(argument, now: .now)
    }

    /// Parses against a given present, for tests.
    init?(_ text: String, now: Timestamp) {
        if let time = Timestamp(iso8601: text) {
            timestamp = time
        } else if let ago = RetryPolicy.parseDuration(text) {
            timestamp = now.adding(.zero - ago)
        } else {
            return nil
        }
    }
}

/// A `name=value` pair (metadata, headers, provider options).
struct KeyValue: ExpressibleByArgument, Sendable {
    var key: String
    var value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        key = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
    }

    /// Pairs as a JSON object of strings.
    static func object(_ pairs: [KeyValue]) -> JSONValue {
        .object(Dictionary(pairs.map { ($0.key, JSONValue.string($0.value)) }, uniquingKeysWith: { $1 }))
    }
}

/// A JSON object built from optional members; `nil` members are left out.
func jsonObject(_ members: [String: JSONValue?]) -> JSONValue {
    .object(members.compactMapValues { $0 })
}

/// Reads JSON given inline, as `@path` (a file), or as `@-` (standard input).
func readJSONArgument(_ text: String, option: String) throws -> JSONValue {
    var source = text
    if text.hasPrefix("@") {
        let path = String(text.dropFirst())
        let data: Data?
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: path)
        }
        guard let data else { throw ValidationError("\(option): cannot read \(path)") }
        source = String(decoding: data, as: UTF8.self)
    }
    guard let value = JSONValue.parse(source) else { throw ValidationError("\(option) is not valid JSON") }
    return value
}
