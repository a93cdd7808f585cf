//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct StripeInboundVerifierTests {
    static let secret = "whsec_hookbirdStripeTestSecret0123456789"
    static let body =
        #"{"id":"evt_1OabcHookbird","object":"event","type":"invoice.paid","data":{"object":{"id":"in_1"}}}"#
    // Computed with the `stripe` Python library (16.1.0):
    // stripe.WebhookSignature._compute_signature(f"{t}.{body}", secret), t = 1700000000; its
    // WebhookSignature.verify_header accepts "t=1700000000,v1=<this>".
    static let stripeLibrarySignature = "60dee7892b27ee52f290bd14ea7b0ed3b68cfeb8379e7207ca7f4075af1ff341"

    static func signed(_ body: String = body, secrets: [String] = [secret], at t: Int64 = Inbound.nowSeconds)
        -> InboundRequest
    {
        let v1 = secrets.map { "v1=" + Inbound.hex(Inbound.hmacSHA256($0, "\(t).\(body)")) }
        return Inbound.request(
            [("Content-Type", "application/json"), ("Stripe-Signature", (["t=\(t)"] + v1).joined(separator: ","))],
            body: body
        )
    }

    @Test func knownAnswerFromTheStripeLibrary() {
        let request = Inbound.request(
            [("Stripe-Signature", "t=1700000000,v1=\(Self.stripeLibrarySignature)")],
            body: Self.body
        )
        let event = Inbound.judge("stripe", request, secrets: [Self.secret]).event
        #expect(event?.eventType == "invoice.paid")
        #expect(event?.eventID == "evt_1OabcHookbird")
        #expect(event?.payload == Inbound.json(Self.body))
        #expect(Inbound.hex(Inbound.hmacSHA256(Self.secret, "1700000000.\(Self.body)")) == Self.stripeLibrarySignature)
    }

    @Test func genuineRequestIsAccepted() {
        let verdict = Inbound.judge("stripe", Self.signed(), secrets: [Self.secret])
        #expect(verdict.event?.eventType == "invoice.paid")
        #expect(verdict.event?.eventID == "evt_1OabcHookbird")
    }

    @Test func keyIsTheWholeSecretStringNotItsBase64() {
        // A Standard-Webhooks-style key (base64 of the part after whsec_) must not verify.
        let key = Array("hookbirdStripeTestSecret0123456789".utf8)
        let mac = Inbound.hex(Inbound.hmacSHA256(key: key, "\(Inbound.nowSeconds).\(Self.body)"))
        let request = Inbound.request([("Stripe-Signature", "t=\(Inbound.nowSeconds),v1=\(mac)")], body: Self.body)
        #expect(Inbound.judge("stripe", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func wrongSecretIsRefused() {
        let verdict = Inbound.judge("stripe", Self.signed(secrets: ["whsec_other"]), secrets: [Self.secret])
        #expect(verdict.refusal == "no signature matches")
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let stale = Inbound.judge("stripe", Self.signed(at: Inbound.nowSeconds - 301), secrets: [Self.secret])
        #expect(stale.refusal == "timestamp outside the tolerance of 300 s")
        let future = Inbound.judge("stripe", Self.signed(at: Inbound.nowSeconds + 301), secrets: [Self.secret])
        #expect(future.refusal == "timestamp outside the tolerance of 300 s")
        let edge = Inbound.judge("stripe", Self.signed(at: Inbound.nowSeconds - 300), secrets: [Self.secret])
        #expect(edge.event != nil)
        let custom = Inbound.judge(
            "stripe",
            Self.signed(at: Inbound.nowSeconds - 301),
            secrets: [Self.secret],
            tolerance: 600
        )
        #expect(custom.event != nil)
    }

    @Test func missingOrMalformedHeaderIsRefused() {
        let missing = Inbound.removing("Stripe-Signature", from: Self.signed())
        #expect(Inbound.judge("stripe", missing, secrets: [Self.secret]).refusal == "missing Stripe-Signature header")
        let noV1 = Inbound.request([("Stripe-Signature", "t=\(Inbound.nowSeconds),v0=abcd")], body: Self.body)
        #expect(Inbound.judge("stripe", noV1, secrets: [Self.secret]).refusal == "Stripe-Signature has no v1 signature")
        let noT = Inbound.request([("Stripe-Signature", "v1=abcd")], body: Self.body)
        #expect(Inbound.judge("stripe", noT, secrets: [Self.secret]).refusal == "Stripe-Signature has no timestamp")
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(Self.signed(), body: Self.body.replacingOccurrences(of: "in_1", with: "in_2"))
        #expect(Inbound.judge("stripe", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecretAndAnyV1() {
        let old = "whsec_old", new = "whsec_new"
        #expect(Inbound.judge("stripe", Self.signed(secrets: [old]), secrets: [old, new]).event != nil)
        #expect(Inbound.judge("stripe", Self.signed(secrets: [new]), secrets: [old, new]).event != nil)
        // While a secret is rolled, Stripe sends one v1 per secret; any match is enough.
        #expect(Inbound.judge("stripe", Self.signed(secrets: ["whsec_x", old]), secrets: [old]).event != nil)
    }

    @Test func bodyMustBeJSON() {
        let request = Self.signed("not json")
        // Genuinely signed: refused for its body (the gateway answers 400, not 401).
        #expect(Inbound.judge("stripe", request, secrets: [Self.secret]) == .refused(.payload("body is not JSON")))
    }
}
