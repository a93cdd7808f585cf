//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct ZoomInboundVerifierTests {
    static let secret = "zoomSecretToken123"
    static let body =
        #"{"event":"meeting.started","event_ts":1700000000000,"payload":{"account_id":"A1","object":{"id":"85"}}}"#

    static func signed(_ body: String = body, secret: String = secret, at ts: Int64 = Inbound.nowSeconds)
        -> InboundRequest
    {
        Inbound.request(
            [
                ("Content-Type", "application/json"),
                ("x-zm-request-timestamp", String(ts)),
                ("x-zm-signature", "v0=" + Inbound.hex(Inbound.hmacSHA256(secret, "v0:\(ts):\(body)"))),
            ],
            body: body
        )
    }

    @Test func urlValidationIsAHandshake() {
        let body =
            #"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"#
            + #""event_ts":1654503849680,"event":"endpoint.url_validation"}"#
        let verdict = Inbound.judge("zoom", Self.signed(body, secret: "new"), secrets: ["old", "new"])
        let encrypted = Inbound.hex(Inbound.hmacSHA256("new", "qgg8vlvZRS6UYooatFL8Aw"))
        #expect(
            verdict.handshakeAnswer
                == .object(["plainToken": .string("qgg8vlvZRS6UYooatFL8Aw"), "encryptedToken": .string(encrypted)])
        )
        // The validation request is verified too.
        #expect(
            Inbound.judge("zoom", Self.signed(body, secret: "x"), secrets: [Self.secret]).refusal
                == "no signature matches"
        )
    }

    @Test func genuineRequestIsAccepted() {
        let event = Inbound.judge("zoom", Self.signed(), secrets: [Self.secret]).event
        #expect(event?.eventType == "meeting.started")
        #expect(event?.eventID == nil)
        #expect(event?.payload == Inbound.json(Self.body))
    }

    @Test func wrongSecretIsRefused() {
        #expect(
            Inbound.judge("zoom", Self.signed(secret: "x"), secrets: [Self.secret]).refusal == "no signature matches"
        )
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let stale = Inbound.judge("zoom", Self.signed(at: Inbound.nowSeconds - 301), secrets: [Self.secret])
        #expect(stale.refusal == "timestamp outside the tolerance of 300 s")
        let future = Inbound.judge("zoom", Self.signed(at: Inbound.nowSeconds + 301), secrets: [Self.secret])
        #expect(future.refusal == "timestamp outside the tolerance of 300 s")
    }

    @Test func missingHeadersAreRefused() {
        let noSignature = Inbound.removing("x-zm-signature", from: Self.signed())
        #expect(Inbound.judge("zoom", noSignature, secrets: [Self.secret]).refusal == "missing x-zm-signature header")
        let noTimestamp = Inbound.removing("x-zm-request-timestamp", from: Self.signed())
        #expect(
            Inbound.judge("zoom", noTimestamp, secrets: [Self.secret]).refusal
                == "missing x-zm-request-timestamp header"
        )
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(
            Self.signed(),
            body: Self.body.replacingOccurrences(of: "started", with: "ended")
        )
        #expect(Inbound.judge("zoom", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecret() {
        #expect(Inbound.judge("zoom", Self.signed(secret: "old"), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("zoom", Self.signed(secret: "new"), secrets: ["old", "new"]).event != nil)
    }
}
