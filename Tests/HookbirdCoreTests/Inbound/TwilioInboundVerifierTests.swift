//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import HookbirdCore
import HookbirdTesting
import Testing

@Suite struct TwilioInboundVerifierTests {
    // The example of Twilio's "Webhooks security" guide and twilio-python's RequestValidator tests.
    static let authToken = "12345"
    static let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    static let formBody =
        "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212"
    static let formSignature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    static let jsonBody = #"{"property": "value", "boolean": true}"#
    static let jsonURL =
        "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
        + "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    static let jsonSignature = "a9nBmqA0ju/hNViExpshrM61xv4="

    static let statusBody = "MessageSid=SM123&MessageStatus=Delivered&AccountSid=AC1&Body=hi+there%21"

    /// Signs like Twilio: base64 HMAC-SHA1 of the URL then each form field, sorted by name, as name + value.
    static func signed(
        _ fields: [(String, String)],
        token: String = authToken,
        url: String = "https://hooks.example.com/webhook/twilio?x=1",
        headers: [(String, String)] = []
    ) -> InboundRequest {
        let content = url + fields.sorted { $0.0 < $1.0 }.map { $0.0 + $0.1 }.joined()
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map {
            $0.0.addingPercentEncoding(withAllowedCharacters: allowed)! + "="
                + $0.1.addingPercentEncoding(withAllowedCharacters: allowed)!
        }.joined(separator: "&")
        return Inbound.request(
            [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Twilio-Signature", Inbound.base64(Inbound.hmacSHA1(token, content))),
            ] + headers,
            body: body,
            url: url
        )
    }

    static let status = [("MessageSid", "SM123"), ("MessageStatus", "delivered"), ("Body", "hi there!")]

    @Test func knownAnswerForAFormBody() {
        let request = Inbound.request(
            [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", Self.formSignature)],
            body: Self.formBody,
            url: Self.url
        )
        let event = Inbound.judge("twilio", request, secrets: [Self.authToken]).event
        #expect(event?.eventType == "twilio.webhook")
        #expect(event?.eventID == "CA1234567890ABCDE")
        #expect(event?.payload["Caller"] == .string("+12349013030"))
        // The URL must be the one Twilio called.
        var moved = request
        moved.url = "https://mycompany.com/myapp.php?foo=1&bar=3"
        #expect(Inbound.judge("twilio", moved, secrets: [Self.authToken]).refusal == "no signature matches")
    }

    @Test func knownAnswerForAJSONBody() {
        let request = Inbound.request(
            [("Content-Type", "application/json"), ("X-Twilio-Signature", Self.jsonSignature)],
            body: Self.jsonBody,
            url: Self.jsonURL
        )
        let event = Inbound.judge("twilio", request, secrets: [Self.authToken]).event
        #expect(event?.eventType == "twilio.webhook")
        #expect(event?.payload == .object(["property": .string("value"), "boolean": .bool(true)]))
        // The body is bound through bodySHA256.
        let tampered = Inbound.tampered(request, body: #"{"property": "other", "boolean": true}"#)
        #expect(
            Inbound.judge("twilio", tampered, secrets: [Self.authToken]).refusal == "body does not match bodySHA256"
        )
        var noHash = request
        noHash.url = Self.url
        #expect(
            Inbound.judge("twilio", noHash, secrets: [Self.authToken]).refusal == "missing bodySHA256 query parameter"
        )
    }

    @Test func statusCallbackIsAccepted() {
        let event = Inbound.judge("twilio", Self.signed(Self.status), secrets: [Self.authToken]).event
        #expect(event?.eventType == "twilio.delivered")
        // Twilio calls back once per status of the same message, so the sid alone would drop later statuses.
        #expect(event?.eventID == "SM123.delivered")
        #expect(
            event?.payload
                == .object([
                    "MessageSid": .string("SM123"), "MessageStatus": .string("delivered"), "Body": .string("hi there!"),
                ])
        )
    }

    @Test func idempotencyTokenIsTheEventId() {
        let request = Self.signed(Self.status, headers: [("I-Twilio-Idempotency-Token", "a1b2c3")])
        #expect(Inbound.judge("twilio", request, secrets: [Self.authToken]).event?.eventID == "a1b2c3")
    }

    @Test func portVariantsAreAccepted() {
        // Signed without the port; received with the default port (and the other way round).
        let content = "https://hooks.example.com/webhook/t" + "CallSidCA1"
        let signature = Inbound.base64(Inbound.hmacSHA1(Self.authToken, content))
        let withPort = Inbound.request(
            [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
            body: "CallSid=CA1",
            url: "https://hooks.example.com:443/webhook/t"
        )
        #expect(Inbound.judge("twilio", withPort, secrets: [Self.authToken]).event?.eventID == "CA1")
        let contentWithPort = "https://hooks.example.com:443/webhook/t" + "CallSidCA1"
        var withoutPort = withPort
        withoutPort.url = "https://hooks.example.com/webhook/t"
        withoutPort.headers = [
            (name: "Content-Type", value: "application/x-www-form-urlencoded"),
            (name: "X-Twilio-Signature", value: Inbound.base64(Inbound.hmacSHA1(Self.authToken, contentWithPort))),
        ]
        #expect(Inbound.judge("twilio", withoutPort, secrets: [Self.authToken]).event != nil)
    }

    @Test func wrongSecretIsRefused() {
        #expect(
            Inbound.judge("twilio", Self.signed(Self.status, token: "x"), secrets: [Self.authToken]).refusal
                == "no signature matches"
        )
    }

    @Test func missingHeaderIsRefused() {
        let request = Inbound.removing("X-Twilio-Signature", from: Self.signed(Self.status))
        #expect(
            Inbound.judge("twilio", request, secrets: [Self.authToken]).refusal == "missing X-Twilio-Signature header"
        )
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(
            Self.signed(Self.status),
            body: "MessageSid=SM123&MessageStatus=failed&Body=hi+there%21"
        )
        #expect(Inbound.judge("twilio", request, secrets: [Self.authToken]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecret() {
        #expect(Inbound.judge("twilio", Self.signed(Self.status, token: "old"), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("twilio", Self.signed(Self.status, token: "new"), secrets: ["old", "new"]).event != nil)
    }
}
