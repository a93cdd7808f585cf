//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@Suite struct LinearInboundVerifierTests {
    static let secret = "lin_wh_hookbird_secret"

    static func body(at ms: Int64 = Inbound.nowSeconds * 1000) -> String {
        #"{"action":"create","type":"Issue","data":{"id":"2174add1"},"webhookTimestamp":\#(ms),"webhookId":"w1"}"#
    }

    static func signed(_ body: String = body(), secret: String = secret) -> InboundRequest {
        Inbound.request(
            [
                ("Content-Type", "application/json"),
                ("Linear-Signature", Inbound.hex(Inbound.hmacSHA256(secret, body))),
                ("Linear-Event", "Issue"),
                ("Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72"),
            ],
            body: body
        )
    }

    @Test func genuineRequestIsAccepted() {
        let event = Inbound.judge("linear", Self.signed(), secrets: [Self.secret]).event
        #expect(event?.eventType == "Issue.create")
        #expect(event?.eventID == "234d1a4e-b617-4388-90fe-adc3633d6b72")
        #expect(event?.payload == Inbound.json(Self.body()))
    }

    @Test func wrongSecretIsRefused() {
        #expect(
            Inbound.judge("linear", Self.signed(secret: "x"), secrets: [Self.secret]).refusal == "no signature matches"
        )
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let ms = Inbound.nowSeconds * 1000
        let stale = Inbound.judge("linear", Self.signed(Self.body(at: ms - 60_001)), secrets: [Self.secret])
        #expect(stale.refusal == "timestamp outside the tolerance of 60 s")
        let future = Inbound.judge("linear", Self.signed(Self.body(at: ms + 60_001)), secrets: [Self.secret])
        #expect(future.refusal == "timestamp outside the tolerance of 60 s")
        let inside = Inbound.judge("linear", Self.signed(Self.body(at: ms - 59_999)), secrets: [Self.secret])
        #expect(inside.event != nil)
        let wider = Inbound.judge(
            "linear",
            Self.signed(Self.body(at: ms - 120_000)),
            secrets: [Self.secret],
            tolerance: 300
        )
        #expect(wider.event != nil)
        let missing = Self.signed(#"{"action":"create","type":"Issue"}"#)
        #expect(Inbound.judge("linear", missing, secrets: [Self.secret]).refusal == "body has no webhookTimestamp")
    }

    @Test func missingHeaderIsRefused() {
        let request = Inbound.removing("Linear-Signature", from: Self.signed())
        #expect(Inbound.judge("linear", request, secrets: [Self.secret]).refusal == "missing Linear-Signature header")
    }

    @Test func tamperedBodyIsRefused() {
        // Moving the timestamp forward breaks the signature: the timestamp is signed.
        let request = Inbound.tampered(Self.signed(Self.body(at: 1)), body: Self.body())
        #expect(Inbound.judge("linear", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecret() {
        #expect(Inbound.judge("linear", Self.signed(secret: "old"), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("linear", Self.signed(secret: "new"), secrets: ["old", "new"]).event != nil)
    }
}
