//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@Suite struct JSONValueTests {
    @Test func compactJSONSortsKeysAndKeepsSlashes() throws {
        let value = try #require(JSONValue.parse(#"{"b": 1, "a": [true, null, "x/y"], "c": {"z": 2.5, "y": -3}}"#))
        #expect(value.compactJSON() == #"{"a":[true,null,"x/y"],"b":1,"c":{"y":-3,"z":2.5}}"#)
        #expect(value.isObject)
    }

    @Test func keepsIntegersExact() throws {
        let value = try #require(JSONValue.parse(#"{"test": 2432232314, "big": 9007199254740993}"#))
        #expect(value == .object(["test": .int(2_432_232_314), "big": .int(9_007_199_254_740_993)]))
    }

    @Test func distinguishesScalars() {
        #expect(JSONValue.parse("true") == .bool(true))
        #expect(JSONValue.parse("1") == .int(1))
        #expect(JSONValue.parse("1.5") == .double(1.5))
        #expect(JSONValue.parse(#""s""#) == .string("s"))
        #expect(JSONValue.parse("null") == .null)
        #expect(JSONValue.parse("[]") == .array([]))
        #expect(JSONValue.parse("[]")?.isObject == false)
    }

    @Test func rejectsInvalidJSON() {
        #expect(JSONValue.parse("{") == nil)
        #expect(JSONValue.parse("") == nil)
        #expect(JSONValue.parse("{'a': 1}") == nil)
    }

    @Test func roundTrips() throws {
        let text = #"{"a":[1,2,{"b":"c"}],"d":false,"e":null}"#
        let value = try #require(JSONValue.parse(text))
        #expect(JSONValue.parse(value.compactJSON()) == value)
        #expect(value.compactJSON() == text)
    }
}
