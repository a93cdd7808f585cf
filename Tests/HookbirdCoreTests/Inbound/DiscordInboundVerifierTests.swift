//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import HookbirdCore
import Testing

@Suite struct DiscordInboundVerifierTests {
    static let key = Curve25519.Signing.PrivateKey()
    static var publicKey: String { Inbound.hex(key.publicKey.rawRepresentation) }
    static let body = #"{"id":"786008729715212338","type":2,"application_id":"1","token":"t","data":{"name":"ping"}}"#

    static func signed(
        _ body: String = body,
        key: Curve25519.Signing.PrivateKey = key,
        at ts: Int64 = Inbound.nowSeconds
    ) -> InboundRequest {
        let signature = try! key.signature(for: Array("\(ts)\(body)".utf8))
        return Inbound.request(
            [
                ("Content-Type", "application/json"),
                ("X-Signature-Ed25519", Inbound.hex(signature)),
                ("X-Signature-Timestamp", String(ts)),
            ],
            body: body
        )
    }

    @Test func pingIsAHandshake() {
        let verdict = Inbound.judge("discord", Self.signed(#"{"type":1}"#), secrets: [Self.publicKey])
        #expect(verdict.handshakeAnswer == .object(["type": .int(1)]))
        #expect(verdict.handshakeAnswer?.compactJSON() == #"{"type":1}"#)
        // Discord probes with bad signatures and expects a refusal.
        let probe = Self.signed(#"{"type":1}"#, key: Curve25519.Signing.PrivateKey())
        #expect(Inbound.judge("discord", probe, secrets: [Self.publicKey]).refusal == "no signature matches")
    }

    @Test func genuineInteractionIsAccepted() {
        let event = Inbound.judge("discord", Self.signed(), secrets: [Self.publicKey]).event
        #expect(event?.eventType == "discord.interaction.2")
        #expect(event?.eventID == "786008729715212338")
        #expect(event?.payload == Inbound.json(Self.body))
    }

    @Test func wrongKeyIsRefused() {
        let other = Inbound.hex(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
        #expect(Inbound.judge("discord", Self.signed(), secrets: [other]).refusal == "no signature matches")
        #expect(
            Inbound.judge("discord", Self.signed(), secrets: ["not hex"]).refusal
                == "the source has no valid ed25519 public key"
        )
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let stale = Inbound.judge("discord", Self.signed(at: Inbound.nowSeconds - 301), secrets: [Self.publicKey])
        #expect(stale.refusal == "timestamp outside the tolerance of 300 s")
        let future = Inbound.judge("discord", Self.signed(at: Inbound.nowSeconds + 301), secrets: [Self.publicKey])
        #expect(future.refusal == "timestamp outside the tolerance of 300 s")
    }

    @Test func missingHeadersAreRefused() {
        let noSignature = Inbound.removing("X-Signature-Ed25519", from: Self.signed())
        #expect(
            Inbound.judge("discord", noSignature, secrets: [Self.publicKey]).refusal
                == "missing X-Signature-Ed25519 header"
        )
        let noTimestamp = Inbound.removing("X-Signature-Timestamp", from: Self.signed())
        #expect(
            Inbound.judge("discord", noTimestamp, secrets: [Self.publicKey]).refusal
                == "missing X-Signature-Timestamp header"
        )
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(Self.signed(), body: Self.body.replacingOccurrences(of: "ping", with: "ban"))
        #expect(Inbound.judge("discord", request, secrets: [Self.publicKey]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherKey() {
        let old = Curve25519.Signing.PrivateKey(), new = Curve25519.Signing.PrivateKey()
        let keys = [Inbound.hex(old.publicKey.rawRepresentation), Inbound.hex(new.publicKey.rawRepresentation)]
        #expect(Inbound.judge("discord", Self.signed(key: old), secrets: keys).event != nil)
        #expect(Inbound.judge("discord", Self.signed(key: new), secrets: keys).event != nil)
    }
}
