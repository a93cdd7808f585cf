//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation

/// An endpoint's signing secret, `whsec_` followed by the base64 of 24 to 75 random bytes (Standard Webhooks).
///
/// The secret redacts itself in `description`, so it never reaches a log line by accident.
public struct EndpointSecret: Hashable, Sendable, Codable, CustomStringConvertible {
    public static let prefix = "whsec_"

    /// The full `whsec_…` string, as shown to the user.
    public let encoded: String
    /// The HMAC key: the base64-decoded part after the prefix.
    public let key: [UInt8]

    /// Parses a `whsec_…` string; `nil` unless the rest is standard base64 of 24 to 75 bytes.
    public init?(_ encoded: String) {
        guard encoded.hasPrefix(Self.prefix) else { return nil }
        let body = String(encoded.dropFirst(Self.prefix.count))
        guard let data = Data(base64Encoded: body), (24...75).contains(data.count) else { return nil }
        self.encoded = encoded
        self.key = Array(data)
    }

    /// A new random secret of 24 bytes.
    public static func generate() -> EndpointSecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return EndpointSecret(unchecked: Self.prefix + Data(bytes).base64EncodedString(), key: bytes)
    }

    private init(unchecked encoded: String, key: [UInt8]) {
        self.encoded = encoded
        self.key = key
    }

    public var description: String { "whsec_***" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let secret = EndpointSecret(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid endpoint secret")
        }
        self = secret
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoded)
    }
}
