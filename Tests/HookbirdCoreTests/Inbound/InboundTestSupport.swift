//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import HookbirdCore
import Testing

/// Signing and judging helpers for the inbound verifier tests. Signatures are built here with swift-crypto
/// directly, not through the code under test.
enum Inbound {
    /// The moment every test judges at.
    static let now = Timestamp(unixSeconds: 1_700_000_000)
    static let nowSeconds: Int64 = 1_700_000_000

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func hmacSHA256(_ key: String, _ content: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(content.utf8), using: SymmetricKey(data: Array(key.utf8))))
    }

    static func hmacSHA256(key: [UInt8], _ content: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(content.utf8), using: SymmetricKey(data: key)))
    }

    static func hmacSHA1(_ key: String, _ content: String) -> [UInt8] {
        Array(
            HMAC<Insecure.SHA1>.authenticationCode(for: Array(content.utf8), using: SymmetricKey(data: Array(key.utf8)))
        )
    }

    static func hmacSHA512(_ key: String, _ content: String) -> [UInt8] {
        Array(HMAC<SHA512>.authenticationCode(for: Array(content.utf8), using: SymmetricKey(data: Array(key.utf8))))
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func request(
        _ headers: [(String, String)],
        body: String,
        url: String = "https://hooks.example.com/webhook/src_1",
        method: String = "POST"
    ) -> InboundRequest {
        InboundRequest(
            method: method,
            url: url,
            headers: headers.map { (name: $0.0, value: $0.1) },
            body: Array(body.utf8)
        )
    }

    /// Judges a request with the registered verifier for `provider`.
    static func judge(
        _ provider: String,
        _ request: InboundRequest,
        secrets: [String],
        tolerance: Int? = nil,
        options: [String: String] = [:],
        now: Timestamp = Inbound.now
    ) -> InboundVerdict {
        guard let verifier = InboundVerifiers.verifier(for: provider) else {
            Issue.record("no verifier for \(provider)")
            return .refused(.signature("no verifier"))
        }
        let settings = InboundSourceSettings(
            provider: provider,
            secrets: secrets,
            toleranceSeconds: tolerance,
            options: options
        )
        return verifier.verify(request, settings: settings, now: now)
    }

    /// The same request with one header removed.
    static func removing(_ name: String, from request: InboundRequest) -> InboundRequest {
        var copy = request
        copy.headers.removeAll { $0.name.lowercased() == name.lowercased() }
        return copy
    }

    /// The same request with a different body (same headers, so the signature no longer matches).
    static func tampered(_ request: InboundRequest, body: String) -> InboundRequest {
        var copy = request
        copy.body = Array(body.utf8)
        return copy
    }

    static func json(_ text: String) -> JSONValue {
        guard let value = JSONValue.parse(text) else {
            Issue.record("bad JSON in test: \(text)")
            return .null
        }
        return value
    }
}

extension InboundVerdict {
    /// The event when accepted.
    var event: InboundEvent? {
        if case .accepted(let event) = self { return event }
        return nil
    }

    /// The reason when refused.
    var refusal: String? {
        if case .refused(let refusal) = self { return refusal.reason }
        return nil
    }

    /// The answer when a handshake.
    var handshakeAnswer: JSONValue? {
        if case .handshake(let answer) = self { return answer }
        return nil
    }
}
