//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@Suite struct IPRangeTests {
    /// Text with nothing before or after the slash is no range; "" once crashed the server (found by schemathesis on
    /// `POST /api/v1/source` with `"allowedIps": [""]`).
    @Test(arguments: ["", "/", "/8", "10.0.0.0/", "::/", "10.0.0.0/8/8", " "])
    func malformedRangesAreRefused(_ text: String) {
        #expect(IPRange(text) == nil)
    }

    @Test func rangesAndSingleAddressesParse() {
        #expect(IPRange("10.0.0.0/8")?.prefixLength == 8)
        #expect(IPRange("192.0.2.1")?.prefixLength == 32)
        #expect(IPRange("fe80::/10")?.prefixLength == 10)
    }
}
