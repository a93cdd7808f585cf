//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct ShopifyInboundVerifierTests {
    static let secret = "shpss_hookbird_client_secret"
    static let body = #"{"id":820982911946154508,"email":"jon@example.com","total_price":"10.00"}"#

    static func signed(_ body: String = body, secret: String = secret) -> InboundRequest {
        Inbound.request(
            [
                ("Content-Type", "application/json"),
                ("X-Shopify-Topic", "orders/create"),
                ("X-Shopify-Hmac-Sha256", Inbound.base64(Inbound.hmacSHA256(secret, body))),
                ("X-Shopify-Shop-Domain", "example.myshopify.com"),
                ("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
                ("X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5"),
            ],
            body: body
        )
    }

    @Test func genuineRequestIsAccepted() {
        let event = Inbound.judge("shopify", Self.signed(), secrets: [Self.secret]).event
        #expect(event?.eventType == "orders.create")
        #expect(event?.eventID == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
        #expect(event?.payload == Inbound.json(Self.body))
    }

    @Test func eventIdFallsBackToTheEventIdHeader() {
        let request = Inbound.removing("X-Shopify-Webhook-Id", from: Self.signed())
        #expect(
            Inbound.judge("shopify", request, secrets: [Self.secret]).event?.eventID
                == "98880550-7158-44d4-b7cd-2c97c8a091b5"
        )
    }

    @Test func wrongSecretIsRefused() {
        #expect(
            Inbound.judge("shopify", Self.signed(secret: "x"), secrets: [Self.secret]).refusal == "no signature matches"
        )
    }

    @Test func hexInsteadOfBase64IsRefused() {
        let request = Inbound.request(
            [("X-Shopify-Hmac-Sha256", Inbound.hex(Inbound.hmacSHA256(Self.secret, Self.body)))],
            body: Self.body
        )
        #expect(Inbound.judge("shopify", request, secrets: [Self.secret]).event == nil)
    }

    @Test func missingHeaderIsRefused() {
        let request = Inbound.removing("X-Shopify-Hmac-Sha256", from: Self.signed())
        #expect(
            Inbound.judge("shopify", request, secrets: [Self.secret]).refusal == "missing X-Shopify-Hmac-Sha256 header"
        )
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(Self.signed(), body: Self.body.replacingOccurrences(of: "10.00", with: "0.01"))
        #expect(Inbound.judge("shopify", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecret() {
        #expect(Inbound.judge("shopify", Self.signed(secret: "old"), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("shopify", Self.signed(secret: "new"), secrets: ["old", "new"]).event != nil)
    }
}
