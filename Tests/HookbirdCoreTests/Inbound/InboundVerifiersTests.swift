//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@Suite struct InboundVerifiersTests {
    @Test func everyProviderIsRegisteredUnderItsName() {
        let expected: Set<String> = [
            "stripe", "github", "slack", "shopify", "standard-webhooks", "svix", "gitlab", "twilio", "discord",
            "telegram", "linear", "paddle", "zoom", "hmac",
        ]
        #expect(Set(InboundVerifiers.all.keys) == expected)
        for (name, verifier) in InboundVerifiers.all {
            #expect(type(of: verifier).provider == name)
        }
        #expect(InboundVerifiers.verifier(for: "nope") == nil)
    }

    @Test func defaultTolerances() {
        func tolerance(_ provider: String) -> Int? {
            InboundVerifiers.verifier(for: provider).flatMap { type(of: $0).defaultToleranceSeconds }
        }
        for provider in ["stripe", "slack", "standard-webhooks", "svix", "discord", "paddle", "zoom", "hmac"] {
            #expect(tolerance(provider) == 300, "\(provider)")
        }
        #expect(tolerance("linear") == 60)
        for provider in ["github", "shopify", "gitlab", "twilio", "telegram"] {
            #expect(tolerance(provider) == nil, "\(provider)")
        }
    }

    /// What an accepted request forwards: a JSON object body byte for byte (whitespace and key order as the
    /// provider sent them), anything else as compact JSON, wrapped when it is not an object.
    @Test func messagePayloadOfAnAcceptedRequest() throws {
        func payload(_ body: String, contentType: String = "application/json") throws -> String {
            let request = InboundRequest(
                method: "POST",
                url: "https://hooks.example.com/webhook/src_1",
                headers: [(name: "Content-Type", value: contentType)],
                body: Array(body.utf8)
            )
            let value = contentType.hasPrefix("application/x-www-form-urlencoded")
                ? JSONValue.object(["a": .string("1"), "b": .string("x y")]) : try #require(JSONValue.parse(body))
            return InboundEvent(eventType: "t", eventID: nil, payload: value).messagePayload(of: request)
        }
        let object = " {\n  \"z\": 1,\n  \"a\": \"é\\u00e9\"\n}\n"
        #expect(try payload(object) == object)
        #expect(try payload("[1, 2]") == #"{"payload":[1,2]}"#)
        #expect(try payload("a=1&b=x+y", contentType: "application/x-www-form-urlencoded") == #"{"a":"1","b":"x y"}"#)
    }

    @Test func eventTypeMapping() {
        #expect(InboundVerifiers.eventType(from: "orders/create") == "orders.create")
        #expect(InboundVerifiers.eventType(from: "Push Hook") == "Push.Hook")
        #expect(InboundVerifiers.eventType(from: "/deploy") == ".deploy")
        #expect(InboundVerifiers.eventType(from: "a-b_c.D9") == "a-b_c.D9")
        #expect(InboundVerifiers.eventType(from: "café") == "caf.")
        #expect(InboundVerifiers.eventType(from: "") == "webhook")
        #expect(InboundVerifiers.eventType(from: nil) == "webhook")
        #expect(InboundVerifiers.eventType(from: String(repeating: "x", count: 300)).count == 256)
    }

    @Test func aSourceWithoutSecretsRefusesEverything() {
        for (name, verifier) in InboundVerifiers.all {
            let request = Inbound.request([], body: "{}")
            let settings = InboundSourceSettings(provider: name, secrets: [])
            #expect(
                verifier.verify(request, settings: settings, now: Inbound.now) == .refused("the source has no secret")
            )
        }
    }

    @Test func unsignedRequestsAreRefusedByEveryProvider() {
        for (name, verifier) in InboundVerifiers.all {
            let request = Inbound.request([("Content-Type", "application/json")], body: #"{"type":1}"#)
            let settings = InboundSourceSettings(provider: name, secrets: ["s"], options: ["header": "X-Sig"])
            #expect(
                verifier.verify(request, settings: settings, now: Inbound.now).refusal?.hasPrefix("missing ") == true,
                "\(name)"
            )
        }
    }

    @Test func formBodiesDecodePlusAndPercentAndRepeatedFields() {
        let body = "text=hello+w%C3%B6rld%21&tag=a&tag=b&bad=%ZZ&empty="
        let timestamp = String(Inbound.nowSeconds)
        let mac = Inbound.hex(Inbound.hmacSHA256("s", "v0:\(timestamp):\(body)"))
        let request = Inbound.request(
            [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Slack-Request-Timestamp", timestamp),
                ("X-Slack-Signature", "v0=" + mac),
            ],
            body: body
        )
        let payload = Inbound.judge("slack", request, secrets: ["s"]).event?.payload
        #expect(
            payload
                == .object([
                    "text": .string("hello wörld!"), "tag": .array([.string("a"), .string("b")]),
                    "bad": .string("%ZZ"), "empty": .string(""),
                ])
        )
    }

    @Test func malformedTimestampsAreRefused() {
        let request = Inbound.request(
            [("X-Slack-Request-Timestamp", "soon"), ("X-Slack-Signature", "v0=00")],
            body: "{}"
        )
        #expect(Inbound.judge("slack", request, secrets: ["s"]).refusal == "invalid X-Slack-Request-Timestamp header")
        let huge = Inbound.request(
            [("X-Slack-Request-Timestamp", "-9223372036854775808"), ("X-Slack-Signature", "v0=00")],
            body: "{}"
        )
        #expect(Inbound.judge("slack", huge, secrets: ["s"]).refusal == "timestamp outside the tolerance of 300 s")
    }
}
