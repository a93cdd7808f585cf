//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct StandardWebhooksInboundVerifierTests {
    // The known-answer case of the Standard Webhooks reference libraries
    // (libraries/go/webhook_test.go TestWebhookSign).
    static let vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let vectorID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let vectorTimestamp: Int64 = 1_614_265_330
    static let vectorBody = #"{"test": 2432232314}"#
    static let vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    static let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let body = #"{"type":"invoice.paid","timestamp":"2023-11-14T22:13:20Z","data":{"id":"inv_1"}}"#

    /// Signs like the spec: base64 HMAC-SHA256 of "id.ts.body" under the base64-decoded part of the secret.
    static func signature(secret: String, id: String, ts: Int64, body: String) -> String {
        let key = Array(Data(base64Encoded: String(secret.dropFirst("whsec_".count)))!)
        return "v1," + Inbound.base64(Inbound.hmacSHA256(key: key, "\(id).\(ts).\(body)"))
    }

    static func signed(
        _ body: String = body,
        secrets: [String] = [secret],
        at ts: Int64 = Inbound.nowSeconds,
        prefix: String = "webhook"
    ) -> InboundRequest {
        let signatures = secrets.map { signature(secret: $0, id: "msg_2", ts: ts, body: body) }
        return Inbound.request(
            [
                ("Content-Type", "application/json"),
                ("\(prefix)-id", "msg_2"),
                ("\(prefix)-timestamp", String(ts)),
                ("\(prefix)-signature", signatures.joined(separator: " ")),
            ],
            body: body
        )
    }

    @Test func specVectorIsAccepted() {
        #expect(
            Self.signature(
                secret: Self.vectorSecret,
                id: Self.vectorID,
                ts: Self.vectorTimestamp,
                body: Self.vectorBody
            )
                == Self.vectorSignature
        )
        let request = Inbound.request(
            [
                ("webhook-id", Self.vectorID),
                ("webhook-timestamp", String(Self.vectorTimestamp)),
                ("webhook-signature", "v1a,AAAA " + Self.vectorSignature),
            ],
            body: Self.vectorBody
        )
        let verdict = Inbound.judge(
            "standard-webhooks",
            request,
            secrets: [Self.vectorSecret],
            now: Timestamp(unixSeconds: Self.vectorTimestamp + 10)
        )
        #expect(verdict.event?.eventType == "webhook")
        #expect(verdict.event?.eventID == Self.vectorID)
        #expect(verdict.event?.payload == .object(["test": .int(2_432_232_314)]))
        // A secret given without its prefix is bare base64, as in the reference libraries.
        let bare = Inbound.judge(
            "standard-webhooks",
            request,
            secrets: [String(Self.vectorSecret.dropFirst(6))],
            now: Timestamp(unixSeconds: Self.vectorTimestamp)
        )
        #expect(bare.event != nil)
    }

    @Test func genuineRequestIsAccepted() {
        let event = Inbound.judge("standard-webhooks", Self.signed(), secrets: [Self.secret]).event
        #expect(event?.eventType == "invoice.paid")
        #expect(event?.eventID == "msg_2")
        #expect(event?.payload == Inbound.json(Self.body))
    }

    @Test func hookbirdsOwnSignerIsAccepted() {
        let secret = EndpointSecret.generate()
        let body = Array(Self.body.utf8)
        let signature = WebhookSigner.signature(
            id: "msg_3",
            timestamp: Inbound.nowSeconds,
            body: body,
            secrets: [secret]
        )
        let request = InboundRequest(
            method: "POST",
            url: "https://h/webhook/x",
            headers: [
                (name: "webhook-id", value: "msg_3"), (name: "webhook-timestamp", value: String(Inbound.nowSeconds)),
                (name: "webhook-signature", value: signature),
            ],
            body: body
        )
        #expect(Inbound.judge("standard-webhooks", request, secrets: [secret.encoded]).event?.eventID == "msg_3")
    }

    @Test func wrongSecretIsRefused() {
        let other = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()
        let verdict = Inbound.judge("standard-webhooks", Self.signed(secrets: [other]), secrets: [Self.secret])
        #expect(verdict.refusal == "no signature matches")
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let stale = Inbound.judge(
            "standard-webhooks",
            Self.signed(at: Inbound.nowSeconds - 301),
            secrets: [Self.secret]
        )
        #expect(stale.refusal == "timestamp outside the tolerance of 300 s")
        let future = Inbound.judge(
            "standard-webhooks",
            Self.signed(at: Inbound.nowSeconds + 301),
            secrets: [Self.secret]
        )
        #expect(future.refusal == "timestamp outside the tolerance of 300 s")
        let tight = Inbound.judge(
            "standard-webhooks",
            Self.signed(at: Inbound.nowSeconds - 31),
            secrets: [Self.secret],
            tolerance: 30
        )
        #expect(tight.refusal == "timestamp outside the tolerance of 30 s")
    }

    @Test func missingHeadersAreRefused() {
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            let request = Inbound.removing(name, from: Self.signed())
            #expect(
                Inbound.judge("standard-webhooks", request, secrets: [Self.secret]).refusal == "missing \(name) header"
            )
        }
        // svix-* headers are not Standard Webhooks headers.
        let svix = Self.signed(prefix: "svix")
        #expect(Inbound.judge("standard-webhooks", svix, secrets: [Self.secret]).refusal == "missing webhook-id header")
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(Self.signed(), body: Self.body.replacingOccurrences(of: "inv_1", with: "inv_9"))
        #expect(Inbound.judge("standard-webhooks", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecretAndAnyEntry() {
        let old = "whsec_" + Data(repeating: 1, count: 24).base64EncodedString()
        let new = "whsec_" + Data(repeating: 2, count: 24).base64EncodedString()
        #expect(Inbound.judge("standard-webhooks", Self.signed(secrets: [old]), secrets: [old, new]).event != nil)
        #expect(Inbound.judge("standard-webhooks", Self.signed(secrets: [new]), secrets: [old, new]).event != nil)
        #expect(
            Inbound.judge("standard-webhooks", Self.signed(secrets: [Self.secret, new]), secrets: [new]).event != nil
        )
    }
}
