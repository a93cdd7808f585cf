//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct JSONTextTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try #require(JSONValue.parse(#" {"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00","i":-12,"d":1.5e2,"t":true,"f":false,"n":null,"a":[1,[],{}]} "#))
        #expect(
            value
                == .object([
                    "s": .string("a\"b\\c/d\né😀"), "i": .int(-12), "d": .double(150), "t": .bool(true), "f": .bool(false),
                    "n": .null, "a": .array([.int(1), .array([]), .object([:])]),
                ])
        )
    }

    @Test(arguments: [
        "", "{", "{\"a\":}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\u{01}\"", "\"\\x\"", "\"\\ud800\"",
        "{} {}", "[1] x", "\"abc",
    ])
    func refusesInvalidDocuments(_ text: String) {
        #expect(JSONValue.parse(text) == nil)
    }

    @Test func writesCompactSortedJSONThatFoundationReadsBack() throws {
        let text = #"{"b":[1,2.5,"x\u0001y"],"a":{"z":null,"y":true},"c":"é/\"q\""}"#
        let value = try #require(JSONValue.parse(text))
        let written = value.compactJSON()
        #expect(written == #"{"a":{"y":true,"z":null},"b":[1,2.5,"x\u0001y"],"c":"é/\"q\""}"#)
        let reread = try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String: Any]
        #expect(reread?["c"] as? String == "é/\"q\"")
        #expect(JSONValue.parse(written) == value)
    }

    /// Strings without escapes are read straight from the bytes: ASCII as it is, anything else validated as UTF-8.
    @Test func readsPlainStringsAndRefusesInvalidUTF8() {
        #expect(
            JSONValue.parse(#"["plain", "é😀", "tab\tafter"]"#)
                == .array([.string("plain"), .string("é😀"), .string("tab\tafter")])
        )
        #expect(JSONValue.parse(bytes: [0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(JSONValue.parse(bytes: [0x22, 0xFF, 0x22]) == nil)
        #expect(JSONValue.parse(bytes: [0x22, 0x61, 0xE2, 0x82, 0xAC, 0x22]) == .string("a€"))
    }

    /// Escapes are written in place inside runs of plain bytes.
    @Test func writesEscapesAmongPlainText() {
        let value = JSONValue.string("a\"b\\c\nd\re\tf\u{01}g é")
        #expect(value.compactJSON() == #""a\"b\\c\nd\re\tf\u0001g é""#)
        #expect(JSONValue.parse(value.compactJSON()) == value)
    }

    @Test func keepsLargeIntegersExact() {
        #expect(JSONValue.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(JSONValue.parse("2432232314")?.compactJSON() == "2432232314")
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(JSONValue.parse(deep) == nil)
    }
}
