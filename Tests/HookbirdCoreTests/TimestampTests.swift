//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdTesting
import Testing

@Suite struct TimestampTests {
    /// 2021-05-21T20:04:03Z.
    static let reference = Timestamp(unixSeconds: 1_621_627_443)

    @Test(arguments: [
        "2021-05-21T20:04:03Z",
        "2021-05-21T20:04:03z",
        "2021-05-21t20:04:03Z",
        "2021-05-21 20:04:03Z",
        "2021-05-21T20:04:03+00:00",
        "2021-05-21T20:04:03-00:00",
        "2021-05-21T22:04:03+02:00",
        "2021-05-21T15:34:03-04:30",
        "2021-05-22T05:04:03+09:00",
        "2021-05-21T20:04:03",  // no offset: UTC, as the Python SDK sends naive datetimes
    ])
    func parsesOffsets(_ text: String) throws {
        let parsed = try #require(Timestamp(iso8601: text))
        #expect(parsed == Self.reference)
        #expect(parsed.unixSeconds == 1_621_627_443)
    }

    @Test(
        arguments: [
            (".1", 100_000),
            (".12", 120_000),
            (".123", 123_000),
            (".1234", 123_400),
            (".12345", 123_450),
            (".123456", 123_456),
            (".1234567", 123_456),  // beyond microseconds: truncated
            (".12345678", 123_456),
            (".123456789", 123_456),
            (".000001", 1),
            (".999999999", 999_999),
        ] as [(String, Int64)]
    )
    func parsesFractionalSeconds(_ fraction: String, _ micros: Int64) throws {
        for suffix in ["Z", "+00:00", ""] {
            let parsed = try #require(Timestamp(iso8601: "2021-05-21T20:04:03" + fraction + suffix))
            #expect(parsed.microseconds == Self.reference.microseconds + micros, "\(fraction)\(suffix)")
        }
    }

    @Test func fractionsAndOffsetsCombine() throws {
        let parsed = try #require(Timestamp(iso8601: "2021-05-21T22:04:03.5+02:00"))
        #expect(parsed.microseconds == Self.reference.microseconds + 500_000)
    }

    @Test(arguments: [
        "",
        "not a date",
        "2021-05-21",
        "2021-05-21T20:04",
        "2021-05-21T20:04:3Z",
        "21-05-21T20:04:03Z",
        "2021/05/21T20:04:03Z",
        "2021-05-21X20:04:03Z",
        "2021-00-21T20:04:03Z",
        "2021-13-21T20:04:03Z",
        "2021-05-00T20:04:03Z",
        "2021-05-32T20:04:03Z",
        "2021-05-21T24:00:00Z",
        "2021-05-21T20:60:03Z",
        "2021-05-21T20:04:61Z",
        "2021-05-21T20:04:03.Z",  // a dot needs digits
        "2021-05-21T20:04:03ZZ",
        "2021-05-21T20:04:03Z ",
        " 2021-05-21T20:04:03Z",
        "2021-05-21T20:04:03+2",
        "2021-05-21T20:04:03+02:",
        "2021-05-21T20:04:03+0a:00",
        "2021-05-21T20:04:03 UTC",
        "2021-05-21T20:04:03.12a",
        "1621627443",
    ])
    func rejectsInvalidStrings(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test(
        .bug(
            id: "timestamp-day-of-month",
            "Timestamp(iso8601:) checks the day only against 1...31, so impossible dates are accepted and roll over"
        ),
        arguments: ["2021-02-30T00:00:00Z", "2021-02-29T00:00:00Z", "2021-04-31T00:00:00Z", "2100-02-29T00:00:00Z"]
    )
    func rejectsDaysPastTheEndOfTheMonth(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func acceptsLeapDays() throws {
        let leap = try #require(Timestamp(iso8601: "2024-02-29T12:00:00Z"))
        #expect(leap.description == "2024-02-29T12:00:00.000000Z")
        #expect(Timestamp(iso8601: "2000-02-29T00:00:00Z") != nil)
    }

    @Test(
        arguments: [
            (0, "1970-01-01T00:00:00.000000Z"),
            (1, "1970-01-01T00:00:00.000001Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
            (1_621_627_443_000_000, "2021-05-21T20:04:03.000000Z"),
            (1_621_627_443_123_456, "2021-05-21T20:04:03.123456Z"),
            (1_621_627_443_000_050, "2021-05-21T20:04:03.000050Z"),
            (1_709_208_000_000_000, "2024-02-29T12:00:00.000000Z"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
        ] as [(Int64, String)]
    )
    func formatsWithSixFractionalDigitsAndZ(_ micros: Int64, _ text: String) throws {
        let timestamp = Timestamp(microseconds: micros)
        #expect(timestamp.description == text)
        #expect(Timestamp(iso8601: text) == timestamp)
    }

    @Test func formattingRoundTrips() throws {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<2000 {
            // 1900 … 2200, any microsecond.
            let micros = Int64.random(in: -2_208_988_800_000_000...7_258_118_400_000_000, using: &generator)
            let timestamp = Timestamp(microseconds: micros)
            let text = timestamp.description
            #expect(text.count == 27 && text.hasSuffix("Z"), "\(text)")
            #expect(Timestamp(iso8601: text) == timestamp, "\(text)")
        }
    }

    @Test func unixSecondsRoundsDown() {
        #expect(Timestamp(microseconds: 1_999_999).unixSeconds == 1)
        #expect(Timestamp(microseconds: -1).unixSeconds == -1)
        #expect(Timestamp(microseconds: -1_000_000).unixSeconds == -1)
        #expect(Timestamp(microseconds: -1_000_001).unixSeconds == -2)
    }

    @Test func arithmetic() {
        let start = Self.reference
        #expect(start.adding(seconds: 90).unixSeconds == 1_621_627_533)
        #expect(start.adding(.milliseconds(1500)).microseconds == start.microseconds + 1_500_000)
        #expect(start.adding(.microseconds(-7)).microseconds == start.microseconds - 7)
        #expect(start < start.adding(.microseconds(1)))
    }

    @Test func codableUsesTheTextForm() throws {
        let timestamp = Timestamp(microseconds: 1_621_627_443_123_456)
        let data = try JSONEncoder().encode([timestamp])
        #expect(String(decoding: data, as: UTF8.self) == #"["2021-05-21T20:04:03.123456Z"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: data) == [timestamp])
        let offset = Data(#"["2021-05-21T22:04:03.123456+02:00"]"#.utf8)
        #expect(try JSONDecoder().decode([Timestamp].self, from: offset) == [timestamp])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data(#"["yesterday"]"#.utf8))
        }
    }

    @Test func nowIsCurrent() {
        let before = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let now = Timestamp.now.microseconds
        let after = Int64(Date().timeIntervalSince1970 * 1_000_000)
        // Date and clock_gettime read the same clock; allow a millisecond for rounding of the Double.
        #expect(now >= before - 1000 && now <= after + 1000)
    }
}
