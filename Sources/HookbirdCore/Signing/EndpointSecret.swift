//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation

/// An endpoint's signing secret (Standard Webhooks): `whsec_` followed by the base64 of 24 to 75 random bytes
/// for HMAC-SHA256 (`v1` signatures), or `whsk_` followed by the base64 of an ed25519 private key (32 bytes, or
/// 64 bytes of key and public key) for `v1a` signatures.
///
/// The secret redacts itself in `description`, so it never reaches a log line by accident.
public struct EndpointSecret: Hashable, Sendable, Codable, CustomStringConvertible {
    public static let prefix = "whsec_"
    public static let ed25519Prefix = "whsk_"

    /// The signature scheme a secret is for.
    public enum Kind: Sendable, Hashable {
        /// HMAC-SHA256, `v1`.
        case hmac
        /// ed25519, `v1a`.
        case ed25519
    }

    /// The full `whsec_…` or `whsk_…` string, as shown to the user.
    public let encoded: String
    /// The key: the base64-decoded part after the prefix (for ed25519, the 32-byte private key).
    public let key: [UInt8]
    public let kind: Kind

    /// Parses a `whsec_…` or `whsk_…` string; `nil` unless the rest is standard base64 of the right length.
    public init?(_ encoded: String) {
        if encoded.hasPrefix(Self.prefix) {
            let body = String(encoded.dropFirst(Self.prefix.count))
            guard let data = Data(base64Encoded: body), (24...75).contains(data.count) else { return nil }
            self.key = Array(data)
            self.kind = .hmac
        } else if encoded.hasPrefix(Self.ed25519Prefix) {
            let body = String(encoded.dropFirst(Self.ed25519Prefix.count))
            guard let data = Data(base64Encoded: body), data.count == 32 || data.count == 64,
                (try? Curve25519.Signing.PrivateKey(rawRepresentation: data.prefix(32))) != nil
            else { return nil }
            self.key = Array(data.prefix(32))
            self.kind = .ed25519
        } else {
            return nil
        }
        self.encoded = encoded
    }

    /// Parses a secret given through the API, as Svix does: the `whsec_` prefix may be left out (the secret is
    /// then kept and shown with it), and the base64 must be canonical (standard alphabet, `=` padding to a
    /// multiple of four). ``init(_:)`` alone is more lenient, for secrets already stored.
    public static func parsingInput(_ text: String) -> EndpointSecret? {
        let prefixed = text.hasPrefix(prefix) || text.hasPrefix(ed25519Prefix) ? text : prefix + text
        let body =
            prefixed.hasPrefix(prefix) ? prefixed.dropFirst(prefix.count) : prefixed.dropFirst(ed25519Prefix.count)
        guard isCanonicalBase64(body) else { return nil }
        return EndpointSecret(prefixed)
    }

    /// Whether text is standard base64 with `=` padding to a multiple of four characters (Foundation's decoder
    /// alone also takes, say, `====`).
    static func isCanonicalBase64(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { return false }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return false }
        return bytes.dropLast(padding).allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                true
            default: false
            }
        }
    }

    /// A new ed25519 secret.
    public static func generateEd25519() -> EndpointSecret {
        let key = Curve25519.Signing.PrivateKey()
        return EndpointSecret(ed25519Prefix + key.rawRepresentation.base64EncodedString())!
    }

    /// For an ed25519 secret, the public key receivers verify with: `whpk_` and its base64.
    public var publicKey: String? {
        guard kind == .ed25519, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: key) else { return nil }
        return "whpk_" + key.publicKey.rawRepresentation.base64EncodedString()
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
        self.kind = .hmac
    }

    public var description: String { kind == .hmac ? "whsec_***" : "whsk_***" }

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
