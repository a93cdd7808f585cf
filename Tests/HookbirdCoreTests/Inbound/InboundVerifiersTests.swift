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
            return String(decoding: InboundEvent(eventType: "t", eventID: nil, payload: value).messagePayload(of: request), as: UTF8.self)
        }
        let object = " {\n  \"z\": 1,\n  \"a\": \"é\\u00e9\"\n}\n"
        #expect(try payload(object) == object)
        #expect(try payload("[1, 2]") == #"{"payload":[1,2]}"#)
        #expect(try payload("a=1&b=x+y", contentType: "application/x-www-form-urlencoded") == #"{"a":"1","b":"x y"}"#)
        // A form whose first field name starts with `{` is still a form: its fields, not its bytes.
        #expect(try payload("{a}=1&b=x+y", contentType: "application/x-www-form-urlencoded") == #"{"a":"1","b":"x y"}"#)
    }

    /// Stored requests are shown by the API and the dashboard: a header that carries the secret itself is kept
    /// as `[redacted]`, as are credentials; signatures (made with the secret, not the secret) are kept.
    @Test func storedHeadersHideSecretsAndCredentials() {
        let headers: [(name: String, value: String)] = [
            (name: "Host", value: "hooks.example.com"), (name: "x-gitlab-token", value: "glpat-secret"),
            (name: "X-Telegram-Bot-Api-Secret-Token", value: "tg-secret"), (name: "Authorization", value: "Basic eDp5"),
            (name: "Cookie", value: "s=1"), (name: "X-Hub-Signature-256", value: "sha256=ab12"),
        ]
        #expect(
            InboundVerifiers.storedHeaders(headers, provider: "gitlab") == [
                ["Host", "hooks.example.com"], ["x-gitlab-token", "[redacted]"],
                ["X-Telegram-Bot-Api-Secret-Token", "tg-secret"], ["Authorization", "[redacted]"],
                ["Cookie", "[redacted]"], ["X-Hub-Signature-256", "sha256=ab12"],
            ]
        )
        let telegram = InboundVerifiers.storedHeaders(headers, provider: "telegram")
        #expect(telegram[1] == ["x-gitlab-token", "glpat-secret"])
        #expect(telegram[2] == ["X-Telegram-Bot-Api-Secret-Token", "[redacted]"])
        #expect(InboundVerifiers.storedHeaders(headers, provider: "github")[5] == ["X-Hub-Signature-256", "sha256=ab12"])
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
                verifier.verify(request, settings: settings, now: Inbound.now) == .refused(.signature("the source has no secret"))
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
