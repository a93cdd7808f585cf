//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct SvixInboundVerifierTests {
    typealias SW = StandardWebhooksInboundVerifierTests

    @Test func specVectorWithSvixHeadersIsAccepted() {
        let request = Inbound.request(
            [
                ("svix-id", SW.vectorID),
                ("svix-timestamp", String(SW.vectorTimestamp)),
                ("svix-signature", SW.vectorSignature),
            ],
            body: SW.vectorBody
        )
        let event = Inbound.judge(
            "svix",
            request,
            secrets: [SW.vectorSecret],
            now: Timestamp(unixSeconds: SW.vectorTimestamp)
        ).event
        #expect(event?.eventID == SW.vectorID)
        #expect(event?.eventType == "webhook")
    }

    @Test func genuineRequestIsAcceptedWithEitherHeaderSet() {
        let svix = Inbound.judge("svix", SW.signed(prefix: "svix"), secrets: [SW.secret]).event
        #expect(svix?.eventType == "invoice.paid")
        #expect(svix?.eventID == "msg_2")
        #expect(svix?.payload == Inbound.json(SW.body))
        let webhook = Inbound.judge("svix", SW.signed(prefix: "webhook"), secrets: [SW.secret]).event
        #expect(webhook?.eventID == "msg_2")
    }

    @Test func wrongSecretIsRefused() {
        let other = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()
        let verdict = Inbound.judge("svix", SW.signed(secrets: [other], prefix: "svix"), secrets: [SW.secret])
        #expect(verdict.refusal == "no signature matches")
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let stale = Inbound.judge("svix", SW.signed(at: Inbound.nowSeconds - 301, prefix: "svix"), secrets: [SW.secret])
        #expect(stale.refusal == "timestamp outside the tolerance of 300 s")
        let future = Inbound.judge(
            "svix",
            SW.signed(at: Inbound.nowSeconds + 301, prefix: "svix"),
            secrets: [SW.secret]
        )
        #expect(future.refusal == "timestamp outside the tolerance of 300 s")
    }

    @Test func missingHeaderIsRefused() {
        let request = Inbound.removing("svix-signature", from: SW.signed(prefix: "svix"))
        #expect(Inbound.judge("svix", request, secrets: [SW.secret]).refusal == "missing svix-signature header")
        let none = Inbound.request([], body: SW.body)
        #expect(Inbound.judge("svix", none, secrets: [SW.secret]).refusal == "missing webhook-id header")
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(SW.signed(prefix: "svix"), body: "{}")
        #expect(Inbound.judge("svix", request, secrets: [SW.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecret() {
        let old = "whsec_" + Data(repeating: 1, count: 24).base64EncodedString()
        let new = "whsec_" + Data(repeating: 2, count: 24).base64EncodedString()
        #expect(Inbound.judge("svix", SW.signed(secrets: [old], prefix: "svix"), secrets: [old, new]).event != nil)
        #expect(Inbound.judge("svix", SW.signed(secrets: [new], prefix: "svix"), secrets: [old, new]).event != nil)
    }
}
