//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto

/// Digests of content, for names derived from it (the CLI's idempotency keys for the lines of a file).
public enum Digest {
    /// The SHA-256 of `bytes` as 64 lowercase hexadecimal characters.
    /// - Parameter bytes: The content.
    /// - Returns: `e3b0c442…` for no bytes.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
