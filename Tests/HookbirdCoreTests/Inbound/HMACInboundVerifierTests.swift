//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct HMACInboundVerifierTests {
    static let secret = "generic-secret"
    static let body = #"{"kind":"order/paid","meta":{"id":"ord_9","seq":42},"items":[{"sku":"a/b"}]}"#
    static let options = [
        "header": "X-Signature", "prefix": "sha256=", "eventTypePointer": "/kind", "eventIdPointer": "/meta/id",
    ]

    static func signed(_ body: String = body, secret: String = secret) -> InboundRequest {
        Inbound.request(
            [
                ("Content-Type", "application/json"),
                ("X-Signature", "sha256=" + Inbound.hex(Inbound.hmacSHA256(secret, body))),
            ],
            body: body
        )
    }

    /// A timestamped, base64, SHA-512 scheme over "{timestamp}.{body}".
    static let timedOptions = [
        "header": "X-Sig", "algorithm": "sha512", "encoding": "base64", "timestampHeader": "X-Time",
        "template": "{timestamp}.{body}", "eventTypeHeader": "X-Event", "eventIdHeader": "X-Id",
    ]

    static func timed(_ body: String = body, secret: String = secret, at ts: Int64 = Inbound.nowSeconds)
        -> InboundRequest
    {
        Inbound.request(
            [
                ("X-Sig", Inbound.base64(Inbound.hmacSHA512(secret, "\(ts).\(body)"))),
                ("X-Time", String(ts)),
                ("X-Event", "Order Paid"),
                ("X-Id", "d-1"),
            ],
            body: body
        )
    }

    @Test func genuineRequestIsAcceptedWithPointers() {
        let event = Inbound.judge("hmac", Self.signed(), secrets: [Self.secret], options: Self.options).event
        #expect(event?.eventType == "order.paid")
        #expect(event?.eventID == "ord_9")
        #expect(event?.payload == Inbound.json(Self.body))
        var numeric = Self.options
        numeric["eventIdPointer"] = "/meta/seq"
        numeric["eventTypePointer"] = "/items/0/sku"
        let other = Inbound.judge("hmac", Self.signed(), secrets: [Self.secret], options: numeric).event
        #expect(other?.eventID == "42")
        #expect(other?.eventType == "a.b")
    }

    @Test func defaultsAreHexSHA256OverTheBodyAndTypeWebhook() {
        let request = Inbound.request(
            [("X-Sig", Inbound.hex(Inbound.hmacSHA256(Self.secret, Self.body)))],
            body: Self.body
        )
        let event = Inbound.judge("hmac", request, secrets: [Self.secret], options: ["header": "X-Sig"]).event
        #expect(event?.eventType == "webhook")
        #expect(event?.eventID == nil)
    }

    @Test func sha1AndSeveralSignatures() {
        let mac = Inbound.hex(Inbound.hmacSHA1(Self.secret, Self.body))
        let request = Inbound.request([("X-Sig", "v0=deadbeef,\(mac)")], body: Self.body)
        let options = ["header": "X-Sig", "algorithm": "sha1", "prefix": "v0="]
        #expect(Inbound.judge("hmac", request, secrets: [Self.secret], options: options).event != nil)
    }

    @Test func timestampedSchemeIsAccepted() {
        let event = Inbound.judge("hmac", Self.timed(), secrets: [Self.secret], options: Self.timedOptions).event
        #expect(event?.eventType == "Order.Paid")
        #expect(event?.eventID == "d-1")
    }

    @Test func wrongSecretIsRefused() {
        let verdict = Inbound.judge("hmac", Self.signed(secret: "x"), secrets: [Self.secret], options: Self.options)
        #expect(verdict.refusal == "no signature matches")
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let stale = Inbound.judge(
            "hmac",
            Self.timed(at: Inbound.nowSeconds - 301),
            secrets: [Self.secret],
            options: Self.timedOptions
        )
        #expect(stale.refusal == "timestamp outside the tolerance of 300 s")
        let future = Inbound.judge(
            "hmac",
            Self.timed(at: Inbound.nowSeconds + 301),
            secrets: [Self.secret],
            options: Self.timedOptions
        )
        #expect(future.refusal == "timestamp outside the tolerance of 300 s")
        // The timestamp is signed: changing it breaks the signature.
        var moved = Self.timed(at: Inbound.nowSeconds - 10)
        moved.headers[1].value = String(Inbound.nowSeconds)
        #expect(
            Inbound.judge("hmac", moved, secrets: [Self.secret], options: Self.timedOptions).refusal
                == "no signature matches"
        )
    }

    @Test func missingHeadersAreRefused() {
        let request = Inbound.removing("X-Signature", from: Self.signed())
        #expect(
            Inbound.judge("hmac", request, secrets: [Self.secret], options: Self.options).refusal
                == "missing X-Signature header"
        )
        let noTime = Inbound.removing("X-Time", from: Self.timed())
        #expect(
            Inbound.judge("hmac", noTime, secrets: [Self.secret], options: Self.timedOptions).refusal
                == "missing X-Time header"
        )
        let noPrefix = Inbound.request(
            [("X-Signature", Inbound.hex(Inbound.hmacSHA256(Self.secret, Self.body)))],
            body: Self.body
        )
        #expect(
            Inbound.judge("hmac", noPrefix, secrets: [Self.secret], options: Self.options).refusal
                == "X-Signature does not start with sha256="
        )
    }

    @Test func misconfiguredSourcesAreRefused() {
        #expect(
            Inbound.judge("hmac", Self.signed(), secrets: [Self.secret]).refusal == "the source has no header option"
        )
        var md5 = Self.options
        md5["algorithm"] = "md5"
        #expect(
            Inbound.judge("hmac", Self.signed(), secrets: [Self.secret], options: md5).refusal
                == "unsupported algorithm md5"
        )
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(Self.signed(), body: Self.body.replacingOccurrences(of: "ord_9", with: "ord_8"))
        #expect(
            Inbound.judge("hmac", request, secrets: [Self.secret], options: Self.options).refusal
                == "no signature matches"
        )
    }

    @Test func rotationAcceptsEitherSecret() {
        #expect(
            Inbound.judge("hmac", Self.signed(secret: "old"), secrets: ["old", "new"], options: Self.options).event
                != nil
        )
        #expect(
            Inbound.judge("hmac", Self.signed(secret: "new"), secrets: ["old", "new"], options: Self.options).event
                != nil
        )
        #expect(
            Inbound.judge("hmac", Self.timed(secret: "old"), secrets: ["old", "new"], options: Self.timedOptions).event
                != nil
        )
    }
}
