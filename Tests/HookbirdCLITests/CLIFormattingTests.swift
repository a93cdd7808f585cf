//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@testable import hookbird

@Suite struct CLIFormattingTests {
    @Test func tableAlignsColumnsAndCutsLongCells() throws {
        let rows = [
            try #require(JSONValue.parse(#"{"id": "app_1", "name": "Acme", "tags": ["a", "b"]}"#)),
            try #require(JSONValue.parse(#"{"id": "app_22", "name": "A name far too long for its column"}"#)),
        ]
        let table = Table(.init("ID", "id"), .init("NAME", "name", maxWidth: 10), .init("TAGS", "tags"))
        #expect(
            table.render(rows) == """
                ID      NAME        TAGS
                app_1   Acme        a,b
                app_22  A name fa…  -

                """
        )
    }

    @Test func cellsStayOnOneLine() {
        #expect(Format.text(.string("two\nlines\there")) == "two\nlines\there")
        #expect(Format.oneLine("two\nlines\there") == "two lines here")
        #expect(Format.text(.string("")) == "-")
        #expect(Format.text(.object(["a": .int(1)])) == #"{"a":1}"#)
        #expect(Format.time(.string("2026-11-22T16:28:32.123456Z")) == "2026-11-22T16:28:32Z")
        #expect(Format.time(.string("not a time")) == "not a time")
    }

    @Test func progressLine() {
        #expect(
            ProgressBar.line(label: "send", done: 0, total: 40)
                == "send  [" + String(repeating: "-", count: 30) + "]   0/40    0%"
        )
        #expect(
            ProgressBar.line(label: "send", done: 20, total: 40)
                == "send  [" + String(repeating: "#", count: 15) + String(repeating: "-", count: 15) + "]  20/40   50%"
        )
        #expect(ProgressBar.line(label: "r", done: 9, total: 4).hasSuffix("4/4  100%"))
    }

    @Test func timeArguments() throws {
        let now = try #require(Timestamp(iso8601: "2026-11-22T12:00:00Z"))
        #expect(TimeArgument("2026-11-21T08:00:00Z", now: now)?.timestamp == Timestamp(iso8601: "2026-11-21T08:00:00Z"))
        #expect(TimeArgument("30m", now: now)?.timestamp == Timestamp(iso8601: "2026-11-22T11:30:00Z"))
        #expect(TimeArgument("2d", now: now)?.timestamp == Timestamp(iso8601: "2026-11-20T12:00:00Z"))
        #expect(TimeArgument("yesterday", now: now) == nil)
    }

    @Test func keyValues() {
        #expect(KeyValue(argument: "plan=pro=max")?.value == "pro=max")
        #expect(KeyValue(argument: "=x") == nil)
        #expect(KeyValue(argument: "novalue") == nil)
    }
}
