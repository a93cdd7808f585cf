//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation

/// Discord interactions: `X-Signature-Ed25519` (hex) is the ed25519 signature of `"{X-Signature-Timestamp}{body}"`;
/// the secret is the application's public key in hex (32 bytes). Default tolerance 300 s.
///
/// A PING (`{"type": 1}`) is answered with `{"type": 1}`. Other interactions take the event type
/// `discord.interaction.<type>` (`discord.interaction.2` for an application command) and the body's `id`.
public struct DiscordInboundVerifier: InboundVerifier {
    public static let provider = "discord"
    public static let defaultToleranceSeconds: Int? = 300

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("X-Signature-Ed25519", in: request)
            let timestamp = try InboundSupport.require("X-Signature-Timestamp", in: request)
            let seconds = try InboundSupport.unixSeconds(timestamp, what: "X-Signature-Timestamp header")
            try InboundSupport.checkFreshness(
                seconds,
                now: now,
                tolerance: InboundSupport.tolerance(settings, default: Self.defaultToleranceSeconds!)
            )
            guard let signature = InboundSupport.unhex(header), signature.count == 64 else {
                throw InboundSupport.Refusal("malformed X-Signature-Ed25519 header")
            }
            let keys = secrets.compactMap { secret -> Curve25519.Signing.PublicKey? in
                guard let raw = InboundSupport.unhex(InboundSupport.trim(secret)), raw.count == 32
                else { return nil }
                return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            }
            guard !keys.isEmpty else { throw InboundSupport.Refusal("the source has no valid ed25519 public key") }
            let content = Array(timestamp.utf8) + request.body
            guard keys.contains(where: { $0.isValidSignature(signature, for: content) }) else {
                throw InboundSupport.Refusal("no signature matches")
            }
            let payload = try InboundSupport.payload(request)
            let type = payload[member: "type"]?.scalarText
            if type == "1" { return .handshake(.object(["type": .int(1)])) }
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType("discord.interaction." + (type ?? "unknown")),
                    eventID: InboundSupport.eventID(payload[member: "id"]?.scalarText),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
