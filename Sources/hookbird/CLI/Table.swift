//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore

/// Aligned text columns with a header; long cells are cut short with `…`.
struct Table: Sendable {
    /// One column: a title, the widest a cell may be, and how a row gives its cell.
    struct Column: Sendable {
        var title: String
        var maxWidth: Int
        var cell: @Sendable (JSONValue) -> String

        /// A column showing a member of each row as text (see ``Format/text(_:)``).
        init(_ title: String, _ member: String, maxWidth: Int = 40) {
            self.init(title, maxWidth: maxWidth) { Format.text($0[member: member]) }
        }

        /// A column showing a time member of each row, to the second.
        static func time(_ title: String, _ member: String) -> Column {
            Column(title, maxWidth: 20) { Format.time($0[member: member]) }
        }

        init(_ title: String, maxWidth: Int = 40, cell: @escaping @Sendable (JSONValue) -> String) {
            self.title = title
            self.maxWidth = maxWidth
            self.cell = cell
        }
    }

    var columns: [Column]

    init(_ columns: Column...) {
        self.columns = columns
    }

    /// The table as text, one line per row plus the header, each ending in a newline.
    func render(_ rows: [JSONValue]) -> String {
        let cells = rows.map { row in columns.map { Format.truncate(Format.oneLine($0.cell(row)), to: $0.maxWidth) } }
        var widths = columns.map(\.title.count)
        for row in cells {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { index, value in
                index == values.count - 1 ? value : value + String(repeating: " ", count: widths[index] - value.count)
            }.joined(separator: "  ") + "\n"
        }
        return line(columns.map(\.title)) + cells.map(line).joined()
    }
}

/// A single object as `field  value` lines; nested values as compact JSON, or indented JSON for `pretty` fields.
enum Details {
    static func render(_ object: JSONValue, pretty: Set<String> = []) -> String {
        guard case .object(let fields) = object else { return Format.text(object) }
        let keys = fields.keys.sorted { lhs, rhs in
            // The id first, then the rest by name, the big pretty-printed values last.
            let rank = { (key: String) in key == "id" ? 0 : pretty.contains(key) ? 2 : 1 }
            return (rank(lhs), lhs) < (rank(rhs), rhs)
        }
        let width = keys.map(\.count).max() ?? 0
        return keys.map { key in
            let value = fields[key]!
            let text: String
            if pretty.contains(key) {
                text = "\n" + Format.pretty(value).split(separator: "\n", omittingEmptySubsequences: false)
                    .map { "  " + $0 }.joined(separator: "\n")
            } else if key.hasSuffix("At") || key == "timestamp" {
                text = Format.time(value)
            } else {
                text = Format.text(value)
            }
            return key + String(repeating: " ", count: width - key.count) + "  " + text
        }.joined(separator: "\n")
    }
}

/// Turning JSON values into table cells.
enum Format {
    /// A value as text: scalars as they are, lists of scalars joined with commas, anything else as compact JSON,
    /// missing, null or empty as `-`.
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?, .string("")?: "-"
        case .array(let items)? where items.allSatisfy({ $0.scalarText != nil }):
            items.isEmpty ? "-" : items.compactMap(\.scalarText).joined(separator: ",")
        case let value?: value.scalarText ?? value.compactJSON()
        }
    }

    /// A time to the second (`2026-11-22T16:28:32Z`), or the value as it is when it is not a time.
    static func time(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue, let time = Timestamp(iso8601: text) else { return Self.text(value) }
        let full = time.description
        guard let dot = full.firstIndex(of: ".") else { return full }
        return String(full[..<dot]) + "Z"
    }

    /// Indented JSON with sorted keys.
    static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return value.compactJSON() }
        return String(decoding: data, as: UTF8.self)
    }

    /// Control characters (newlines, tabs) as spaces, so a cell stays on its line.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// The text cut to `width` characters, ending in `…` when cut.
    static func truncate(_ text: String, to width: Int) -> String {
        guard text.count > width, width > 1 else { return text }
        return String(text.prefix(width - 1)) + "…"
    }
}
