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
        let content = Array("\(id).\(timestamp).".utf8) + Array(body)
        return secrets.compactMap { secret in
            switch secret.kind {
            case .hmac:
                let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: secret.key))
                return "v1," + Data(mac).base64EncodedString()
            case .ed25519:
                guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: secret.key),
                    let signature = try? key.signature(for: content)
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
