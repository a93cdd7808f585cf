//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

@testable import HookbirdCore
import HookbirdTesting
import Testing

@Suite struct KSUIDTests {
    static let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// 2021-05-21T20:04:03.900Z, the time of the example id in Svix's documentation.
    static let exampleID = "1srOrx2ZWZBpBUvZwXKQmoEYga2"

    @Test func generatedIDsAre27Base62Characters() {
        for _ in 0..<200 {
            let id = KSUID.generate()
            #expect(id.count == KSUID.encodedLength)
            #expect(id.count == 27)
            #expect(id.allSatisfy(Self.base62.contains), "\(id)")
            #expect(KSUID.isValid(id))
        }
    }

    @Test func decodesTheDocumentedExample() throws {
        let timestamp = try #require(KSUID.timestamp(of: Self.exampleID))
        #expect(timestamp.unixSeconds == 1_621_627_443)
        // Byte 4 of the example is 225: 225 × 4 ms.
        #expect(timestamp.description == "2021-05-21T20:04:03.900000Z")
        #expect(KSUID.isValid(Self.exampleID))
    }

    @Test func timestampRoundTripsToFourMilliseconds() throws {
        let moments: [Int64] = [
            1_400_000_000_000_000,  // the KSUID epoch
            1_621_627_443_900_000,
            1_700_000_000_123_456,
            1_700_000_000_999_999,
            4_000_000_000_000_000,  // year 2096
        ]
        for micros in moments {
            let time = Timestamp(microseconds: micros)
            let decoded = try #require(KSUID.timestamp(of: KSUID.generate(at: time)))
            let millis = micros / 1000
            #expect(decoded.microseconds == (millis - millis % 4) * 1000, "\(time)")
        }
    }

    @Test func stringOrderIsTimeOrder() {
        // Steps of at least 4 ms (the KSUID resolution), from tiny to years, through 2014…2150.
        let steps: [Int64] = [4_000, 5_000, 7_999, 250_000, 996_000, 1_000_000, 3_600_000_000, 37 * 86_400_000_000]
        var generator = SeededGenerator(seed: 42)
        var time = Timestamp(microseconds: 1_400_000_000_000_000)
        var ids: [String] = []
        var index = 0
        while time.unixSeconds < 5_600_000_000 {
            ids.append(KSUID.generate(at: time, using: &generator))
            time = Timestamp(microseconds: time.microseconds + steps[index % steps.count])
            index += 1
        }
        #expect(ids.count > 2000)
        #expect(ids == ids.sorted(), "ids generated at increasing times must sort in generation order")
        for (earlier, later) in zip(ids, ids.dropFirst()) where !(earlier < later) {
            Issue.record("\(earlier) is not before \(later)")
            break
        }
    }

    @Test func seededGenerationIsReproducible() {
        let time = Timestamp(unixSeconds: 1_700_000_000)
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        #expect(KSUID.generate(at: time, using: &first) == KSUID.generate(at: time, using: &second))
        #expect(KSUID.generate(at: time) != KSUID.generate(at: time))
    }

    @Test func boundariesBracketGeneratedIDs() {
        var generator = SeededGenerator(seed: 1)
        for micros: Int64 in [1_400_000_001_000_000, 1_621_627_443_900_000, 1_700_000_000_123_456] {
            let time = Timestamp(microseconds: micros)
            let lower = KSUID.boundary(at: time, upper: false)
            let upper = KSUID.boundary(at: time, upper: true)
            #expect(lower < upper)
            #expect(KSUID.isValid(lower) && KSUID.isValid(upper))
            for _ in 0..<100 {
                let id = KSUID.generate(at: time, using: &generator)
                #expect(lower <= id && id <= upper, "\(id) outside [\(lower), \(upper)]")
            }
            // Ids of the next 4 ms bucket are above the upper bound; those of the previous one below the lower.
            #expect(KSUID.generate(at: time.adding(.milliseconds(4))) > upper)
            #expect(KSUID.generate(at: time.adding(.milliseconds(-4))) < lower)
        }
    }

    @Test(
        .bug(
            id: "ksuid-pre-epoch",
            "KSUID.header clamps the seconds of a pre-epoch time to 0 but keeps its millisecond byte"
        )
    )
    func timesBeforeTheEpochClampToTheLowestID() {
        // Anything before the KSUID epoch (2014-05-13T16:53:20Z) should get the lowest header, so such ids never sort
        // above ids of the epoch itself.
        let epoch = Timestamp(unixSeconds: KSUID.epoch)
        let lowest = KSUID.boundary(at: epoch, upper: false)
        #expect(lowest == "000000000000000000000000000")
        #expect(KSUID.boundary(at: epoch.adding(.milliseconds(-4)), upper: false) == lowest)
        #expect(KSUID.boundary(at: Timestamp(microseconds: 1_399_999_999_500_000), upper: false) == lowest)
        #expect(KSUID.generate(at: epoch.adding(.milliseconds(-4))) <= KSUID.boundary(at: epoch, upper: true))
    }

    @Test(arguments: [
        "",
        "1srOrx2ZWZBpBUvZwXKQmoEYga",  // 26 characters
        "1srOrx2ZWZBpBUvZwXKQmoEYga22",  // 28 characters
        "1srOrx2ZWZBpBUvZwXKQmoEYg-2",  // not base62
        "1srOrx2ZWZBpBUvZwXKQmoEYg_2",
        "1srOrx2ZWZBpBUvZwXKQmoEYg 2",
        "1srOrx2ZWZBpBUvZwXKQmoEYgé",
        "aWgEPTl1tmebfsQzFP4bxwgy80W",  // 2^160: one more than 20 bytes hold
        "zzzzzzzzzzzzzzzzzzzzzzzzzzz",
    ])
    func rejectsInvalidKSUIDs(_ text: String) {
        #expect(!KSUID.isValid(text))
        #expect(KSUID.timestamp(of: text) == nil)
    }

    @Test func acceptsTheExtremes() {
        #expect(KSUID.isValid("000000000000000000000000000"))
        #expect(KSUID.isValid("aWgEPTl1tmebfsQzFP4bxwgy80V"))  // 2^160 - 1
    }

    /// Encoding gives back the documented example and the extremes from their bytes.
    @Test(arguments: [KSUIDTests.exampleID, "000000000000000000000000000", "aWgEPTl1tmebfsQzFP4bxwgy80V", "000000000000000000000000001"])
    func encodesWhatItDecodes(_ encoded: String) throws {
        let bytes = try #require(KSUID.decode(encoded))
        #expect(KSUID.encode(bytes) == encoded)
    }
}

@Suite struct PrefixedIDTests {
    static let ksuid = KSUIDTests.exampleID

    @Test func generatedIDsCarryTheirPrefix() {
        let app = ApplicationID.generate()
        #expect(app.rawValue.hasPrefix("app_") && app.rawValue.count == 31)
        let endpoint = EndpointID.generate()
        #expect(endpoint.rawValue.hasPrefix("ep_") && endpoint.rawValue.count == 30)
        let message = MessageID.generate()
        #expect(message.rawValue.hasPrefix("msg_") && message.rawValue.count == 31)
        let attempt = AttemptID.generate()
        #expect(attempt.rawValue.hasPrefix("atmpt_") && attempt.rawValue.count == 33)
        let task = TaskID.generate()
        #expect(task.rawValue.hasPrefix("qtask_") && task.rawValue.count == 33)
        #expect(ApplicationID(rawValue: app.rawValue) == app)
        #expect(app.description == app.rawValue)
    }

    @Test func parsesValidIDs() throws {
        let app = try #require(ApplicationID(rawValue: "app_" + Self.ksuid))
        #expect(app.timestamp?.unixSeconds == 1_621_627_443)
        #expect(EndpointID(rawValue: "ep_" + Self.ksuid) != nil)
        #expect(MessageID(rawValue: "msg_" + Self.ksuid) != nil)
        #expect(AttemptID(rawValue: "atmpt_" + Self.ksuid) != nil)
        #expect(TaskID(rawValue: "qtask_" + Self.ksuid) != nil)
    }

    @Test(arguments: [
        "ep_1srOrx2ZWZBpBUvZwXKQmoEYga2",  // another type's prefix
        "msg_1srOrx2ZWZBpBUvZwXKQmoEYga2",
        "APP_1srOrx2ZWZBpBUvZwXKQmoEYga2",  // prefixes are case-sensitive
        "1srOrx2ZWZBpBUvZwXKQmoEYga2",  // no prefix
        "app_",
        "app_1srOrx2ZWZBpBUvZwXKQmoEYga",  // KSUID too short
        "app_1srOrx2ZWZBpBUvZwXKQmoEYga2x",  // too long
        "app_1srOrx2ZWZBpBUvZwXKQmoEYg-2",  // invalid character
        "app_1srOrx2ZWZBpBUvZwXKQmoEYg.2",
        " app_1srOrx2ZWZBpBUvZwXKQmoEYga2",
        "",
    ])
    func rejectsMalformedApplicationIDs(_ text: String) {
        #expect(ApplicationID(rawValue: text) == nil)
        #expect(!ApplicationID.isValid(text))
    }

    @Test func endpointIDRejectsApplicationPrefix() {
        #expect(EndpointID(rawValue: "app_" + Self.ksuid) == nil)
        #expect(AttemptID(rawValue: "msg_" + Self.ksuid) == nil)
    }

    @Test func idsSortByTime() {
        var generator = SeededGenerator(seed: 3)
        var time = Timestamp(unixSeconds: 1_700_000_000)
        var ids: [MessageID] = []
        for _ in 0..<300 {
            ids.append(MessageID(unchecked: "msg_" + KSUID.generate(at: time, using: &generator)))
            time = time.adding(.milliseconds(4))
        }
        #expect(ids == ids.sorted())
        let lower = MessageID.boundary(at: Timestamp(unixSeconds: 1_700_000_000), upper: false)
        let upper = MessageID.boundary(at: time, upper: true)
        #expect(ids.allSatisfy { lower < $0 && $0 < upper })
    }

    @Test func organizationIDsOnlyCheckThePrefix() {
        #expect(OrganizationID(rawValue: "org_svix_python_tests") != nil)
        #expect(OrganizationID(rawValue: "org_" + Self.ksuid) != nil)
        #expect(OrganizationID.default.rawValue == "org_23rb8YdGqMT0qIzpgGwdXfHirMu")
        #expect(OrganizationID(rawValue: "org_") == nil)
        #expect(OrganizationID(rawValue: "app_" + Self.ksuid) == nil)
        #expect(OrganizationID(rawValue: "org_" + String(repeating: "x", count: 252)) != nil)
        #expect(OrganizationID(rawValue: "org_" + String(repeating: "x", count: 253)) == nil)
    }
}
