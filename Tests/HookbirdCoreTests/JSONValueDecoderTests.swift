//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

/// `JSONValueDecoder` against Foundation's `JSONDecoder`, which the API's bodies were decoded with before: for each
/// document, the same value or the same error (case, coding path, expected type), the parts a 422 is built from.
@Suite struct JSONValueDecoderTests {
    struct Inner: Decodable, Equatable {
        var name: String
        var size: Int?
    }

    struct Body: Decodable, Equatable {
        var text: String
        var count: Int
        var ratio: Double?
        var flag: Bool?
        var tags: [String]?
        var headers: [String: String]?
        var inner: Inner?
        var items: [Inner]?
        var any: JSONValue?
        var small: UInt16?
        var matrix: [[Int]]?
    }

    static let documents: [String] = [
        #"{"text":"a","count":1}"#,
        #"{"text":"a","count":1,"ratio":2,"flag":true,"tags":["x","y"],"headers":{"a":"b"},"inner":{"name":"n","size":3},"items":[{"name":"m"}],"any":{"z":[1,null]},"small":65535,"matrix":[[1,2],[]]}"#,
        #"{"text":"a","count":2.0}"#,
        #"{"text":"a","count":1e2}"#,
        #"{"text":"a","count":2.5}"#,
        #"{"text":"a","count":99999999999999999999}"#,
        #"{"text":"a","count":"1"}"#,
        #"{"text":"a","count":null}"#,
        #"{"text":"a"}"#,
        #"{"count":1}"#,
        #"{"text":1,"count":1}"#,
        #"{"text":null,"count":1}"#,
        #"{"text":"a","count":1,"ratio":"x"}"#,
        #"{"text":"a","count":1,"flag":1}"#,
        #"{"text":"a","count":1,"tags":"x"}"#,
        #"{"text":"a","count":1,"tags":["x",1]}"#,
        #"{"text":"a","count":1,"tags":["x",null]}"#,
        #"{"text":"a","count":1,"headers":{"a":1}}"#,
        #"{"text":"a","count":1,"headers":[]}"#,
        #"{"text":"a","count":1,"inner":{}}"#,
        #"{"text":"a","count":1,"inner":"x"}"#,
        #"{"text":"a","count":1,"items":[{"name":"m"},{"size":1}]}"#,
        #"{"text":"a","count":1,"items":[{"name":"m","size":"1"}]}"#,
        #"{"text":"a","count":1,"small":65536}"#,
        #"{"text":"a","count":1,"small":-1}"#,
        #"{"text":"a","count":1,"matrix":[[1],["x"]]}"#,
        #"{"text":"a","count":1,"any":null}"#,
        #"[]"#,
        #"null"#,
        #""text""#,
    ]

    @Test(arguments: documents)
    func decodesAsJSONDecoderDoes(_ document: String) throws {
        let value = try #require(JSONValue.parse(document))
        let expected = Result { try JSONDecoder().decode(Body.self, from: Data(document.utf8)) }
        let actual = Result { try JSONValueDecoder().decode(Body.self, from: value) }
        switch (expected, actual) {
        case (.success(let expected), .success(let actual)):
            #expect(expected == actual)
        case (.failure(DecodingError.dataCorrupted(let expected)), .failure(DecodingError.dataCorrupted(let actual))):
            // A number that does not fit: JSONDecoder says "The given data was not valid JSON." at no path (the
            // 422 said "malformed JSON" of a valid document); this one names the field and the number.
            #expect(expected.codingPath.isEmpty)
            #expect(!actual.codingPath.isEmpty && actual.debugDescription.hasPrefix("Number "), "\(actual)")
        case (.failure(let expected), .failure(let actual)):
            #expect(Self.summary(expected) == Self.summary(actual))
        default:
            Issue.record("JSONDecoder: \(expected); JSONValueDecoder: \(actual)")
        }
    }

    /// The case, the coding path (index keys by their number) and the type or key of a `DecodingError`.
    static func summary(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "keyNotFound \(key.stringValue) at \(path(context.codingPath))"
        case DecodingError.typeMismatch(let type, let context): return "typeMismatch \(type) at \(path(context.codingPath))"
        case DecodingError.valueNotFound(let type, let context): return "valueNotFound \(type) at \(path(context.codingPath))"
        case DecodingError.dataCorrupted(let context): return "dataCorrupted at \(path(context.codingPath))"
        default: return "\(error)"
        }
    }
}
