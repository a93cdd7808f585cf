//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Hookbird's OpenAPI document, served at `/openapi.json`: `Resources/openapi.json`, written by
/// scripts/gen-openapi.py and compiled into the binary (an `.embedInCode` resource), so Hookbird stays one file.
enum OpenAPIDocument {
    static var bytes: [UInt8] { PackageResources.openapi_json }
    static var json: String { String(decoding: bytes, as: UTF8.self) }
}
