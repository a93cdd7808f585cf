//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

package import Foundation
import HTTPTypes
public import Hummingbird
public import HookbirdCore
import NIOCore
import NIOFoundationCompat

/// Builds JSON responses with one shared encoder.
public enum JSONResponse {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// A response with the value as its JSON body.
    public static func make(status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            data = Data(#"{"code":"server_error","detail":"Internal Server Error"}"#.utf8)
        }
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// A response with the JSON value as its body (compact, keys sorted), written without `Codable`.
    public static func make(status: HTTPResponse.Status, json value: JSONValue) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.canonicalBytes()))
        )
    }

    /// An empty 204.
    public static func noContent() -> Response { Response(status: .noContent) }
}

/// Reads JSON request bodies, turning every decoding problem into a 422 that names the field.
package enum JSONBody {
    /// Decodes the whole body as `T`.
    /// - Throws: ``ValidationFailure`` for malformed JSON, wrong types and missing fields.
    package static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: .max)
        return try decode(type, from: document(buffer))
    }

    /// Reads a body with the strict RFC 8259 reader: Foundation's `JSONDecoder` lets some malformed documents through
    /// (a trailing comma in an object, `{"a":1,}`), and svix-server answers 422 to those.
    package static func document(_ buffer: ByteBuffer) throws(ValidationFailure) -> JSONValue {
        guard let document = JSONValue.parse(bytes: buffer.readableBytesView) else { throw malformed }
        return document
    }

    /// Decodes a document read by ``document(_:)``: the body is read once.
    package static func decode<T: Decodable>(_ type: T.Type, from document: JSONValue) throws -> T {
        do {
            return try JSONValueDecoder().decode(T.self, from: document)
        } catch let error as DecodingError {
            throw ValidationFailure(fieldError(error))
        } catch let error as FieldError {
            throw ValidationFailure(error)
        }
    }

    /// The 422 for a body that is not JSON.
    package static var malformed: ValidationFailure {
        ValidationFailure(
            loc: ["body"],
            msg: "malformed JSON: the body is not valid JSON (RFC 8259)",
            type: "value_error.jsondecode"
        )
    }

    package static func fieldError(_ error: DecodingError) -> FieldError {
        func loc(_ path: [any CodingKey], _ extra: (any CodingKey)? = nil) -> [String] {
            ["body"] + (path + (extra.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(loc: loc(context.codingPath, key), msg: "field required", type: "value_error.missing")
        case .typeMismatch(let type, let context):
            return FieldError(
                loc: loc(context.codingPath),
                msg: "invalid type: expected \(Self.describe(type))",
                type: "type_error"
            )
        case .valueNotFound(let type, let context):
            return FieldError(
                loc: loc(context.codingPath),
                msg: "invalid type: null, expected \(Self.describe(type))",
                type: "type_error"
            )
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return FieldError(
                    loc: ["body"],
                    msg: "malformed JSON: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)",
                    type: "value_error.jsondecode"
                )
            }
            return FieldError(loc: loc(context.codingPath), msg: context.debugDescription, type: "value_error")
        @unknown default:
            return FieldError(loc: ["body"], msg: "\(error)", type: "value_error")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is UInt16.Type, is UInt32.Type: "an integer"
        case is Double.Type: "a number"
        default: "\(type)"
        }
    }
}
