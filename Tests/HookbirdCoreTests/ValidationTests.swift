//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@Suite struct ValidationTests {
    static let field = ["body", "uid"]

    /// The error `Validation.identifier` throws for a value, or `nil` when it accepts it.
    func identifierError(_ value: String, maxLength: Int = 256, forbiddenPrefix: String? = nil) -> FieldError? {
        do {
            try Validation.identifier(value, field: Self.field, maxLength: maxLength, forbiddenPrefix: forbiddenPrefix)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        "a", "unique-app-identifier", "user.signup", "ABC_xyz-019.", "0", "-", ".", "_",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
    ])
    func acceptsTheIdentifierAlphabet(_ value: String) {
        #expect(identifierError(value) == nil)
    }

    @Test(arguments: [
        "a b", "a/b", "a:b", "a+b", "a#b", "a@b", "a,b", "é", "ü.x", "a\u{0}", "a\n", "\t", "emoji👍", "a%20b",
    ])
    func rejectsCharactersOutsideTheAlphabet(_ value: String) throws {
        let error = try #require(identifierError(value))
        #expect(error.loc == Self.field)
        #expect(error.msg.contains("[a-zA-Z0-9\\-_.]"))
    }

    @Test func rejectsEmpty() throws {
        let error = try #require(identifierError(""))
        #expect(error.loc == Self.field)
        #expect(error.type == "value_error.any_str.min_length")
    }

    @Test func lengthLimitIs256ByDefault() throws {
        #expect(identifierError(String(repeating: "a", count: 256)) == nil)
        let error = try #require(identifierError(String(repeating: "a", count: 257)))
        #expect(error.type == "value_error.any_str.max_length")
        #expect(error.loc == Self.field)
        // Channels use 128.
        #expect(identifierError(String(repeating: "c", count: 128), maxLength: 128) == nil)
        #expect(identifierError(String(repeating: "c", count: 129), maxLength: 128) != nil)
    }

    @Test(arguments: [("app_", "app_123"), ("ep_", "ep_x"), ("msg_", "msg_2a3")])
    func rejectsTheReservedPrefix(_ prefix: String, _ value: String) throws {
        let error = try #require(identifierError(value, forbiddenPrefix: prefix))
        #expect(error.type == "invalid_uid_prefix")
        #expect(error.loc == Self.field)
    }

    @Test func otherPrefixesAreFine() {
        #expect(identifierError("app_123") == nil, "no prefix is reserved unless asked")
        #expect(identifierError("ep_123", forbiddenPrefix: "app_") == nil)
        #expect(identifierError("App_123", forbiddenPrefix: "app_") == nil)
        #expect(identifierError("my-app_123", forbiddenPrefix: "app_") == nil)
        #expect(identifierError("app", forbiddenPrefix: "app_") == nil)
    }

    @Test func textRejectsLowControlCharacters() throws {
        for scalar in 0x00...0x08 {
            let value = "name" + String(Character(Unicode.Scalar(UInt8(scalar))))
            #expect(throws: FieldError.self, "U+\(scalar)") {
                try Validation.text(value, field: ["body", "name"])
            }
        }
        #expect(throws: Never.self) { try Validation.text("tab\tnewline\nreturn\r ok ✓", field: ["body", "name"]) }
        #expect(throws: Never.self) { try Validation.text("", field: ["body", "description"]) }
        let empty = #expect(throws: FieldError.self) {
            try Validation.text("", field: ["body", "name"], allowEmpty: false)
        }
        #expect(empty?.loc == ["body", "name"])
        let control = #expect(throws: FieldError.self) {
            try Validation.text("a\u{1}b", field: ["body", "description"])
        }
        #expect(control?.loc == ["body", "description"])
    }

    @Test func metadataIsLimitedTo4096Bytes() {
        #expect(throws: Never.self) { try Validation.metadata([:], field: ["body", "metadata"]) }
        #expect(throws: Never.self) {
            try Validation.metadata(["k": String(repeating: "v", count: 4000)], field: ["body", "metadata"])
        }
        let error = #expect(throws: FieldError.self) {
            try Validation.metadata(["k": String(repeating: "v", count: 4100)], field: ["body", "metadata"])
        }
        #expect(error?.loc == ["body", "metadata"])
    }

    @Test func throttleRateRange() {
        for ok in [nil, 1, 100, 65_535] as [Int?] {
            #expect(throws: Never.self) { try Validation.throttleRate(ok, field: ["body", "throttleRate"]) }
        }
        for bad in [0, -1, 65_536] {
            #expect(throws: FieldError.self) { try Validation.throttleRate(bad, field: ["body", "throttleRate"]) }
        }
    }
}
