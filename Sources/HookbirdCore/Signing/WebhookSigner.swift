//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation

/// Signs and verifies webhook requests the Standard Webhooks way.
///
/// The signed content is `"{id}.{timestamp}.{body}"`; the signature is `v1,` followed by the base64 of its
/// HMAC-SHA256 under the secret's key (`v1a,` and an ed25519 signature for `whsk_` secrets). Several signatures are
/// separated by spaces.
public enum WebhookSigner {
    /// The `webhook-signature` value for one message sent at one time, with one `v1,` entry per secret.
    /// - Parameters:
    ///   - id: The message id (`webhook-id`).
    ///   - timestamp: Unix seconds of this attempt (`webhook-timestamp`).
    ///   - body: The exact bytes sent.
    ///   - secrets: The secrets to sign with, current first.
    public static func signature(
        id: String,
        timestamp: Int64,
        body: some Sequence<UInt8>,
        secrets: [EndpointSecret]
    ) -> String {
        signature(id: id, timestamp: timestamp, body: Array(body), secrets: secrets)
    }

    /// ``signature(id:timestamp:body:secrets:)`` for bytes in an array: what the delivery engine signs, once per
    /// attempt (not generic, so that a caller in another module does not go through generic code).
    public static func signature(id: String, timestamp: Int64, body: [UInt8], secrets: [EndpointSecret]) -> String {
        let prefix = Array("\(id).\(timestamp).".utf8)
        return secrets.compactMap { secret in
            switch secret.kind {
            case .hmac:
                var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret.key))
                hmac.update(data: prefix)
                hmac.update(data: body)
                return "v1," + Data(hmac.finalize()).base64EncodedString()
            case .ed25519:
                guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: secret.key),
                    let signature = try? key.signature(for: prefix + body)
                else { return nil }
                return "v1a," + Data(signature).base64EncodedString()
            }
        }.joined(separator: " ")
    }

    /// Checks a `webhook-signature` header against a secret, in constant time per candidate.
    /// - Returns: `true` when any `v1,` entry is a valid HMAC of the content.
    public static func verify(
        id: String,
        timestamp: Int64,
        body: some Sequence<UInt8>,
        signatureHeader: String,
        secret: EndpointSecret
    ) -> Bool {
        let content = Array("\(id).\(timestamp).".utf8) + Array(body)
        let key = SymmetricKey(data: secret.key)
        for entry in signatureHeader.split(separator: " ") {
            guard entry.hasPrefix("v1,"), let mac = Data(base64Encoded: String(entry.dropFirst(3))) else { continue }
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: key) { return true }
        }
        return false
    }
}
