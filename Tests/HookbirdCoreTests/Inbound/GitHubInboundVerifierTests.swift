//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct GitHubInboundVerifierTests {
    static let secret = "It's a Secret to Everybody"
    static let body = #"{"action":"opened","number":7,"pull_request":{"id":1}}"#

    static func signed(
        _ body: String = body,
        secret: String = secret,
        event: String = "pull_request",
        contentType: String = "application/json"
    ) -> InboundRequest {
        Inbound.request(
            [
                ("Content-Type", contentType),
                ("X-GitHub-Event", event),
                ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
                ("X-Hub-Signature-256", "sha256=" + Inbound.hex(Inbound.hmacSHA256(secret, body))),
            ],
            body: body
        )
    }

    @Test func knownAnswerFromGitHubDocs() {
        // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload
        // "Hello, World!" gives this signature.
        let expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        #expect(Inbound.hex(Inbound.hmacSHA256(Self.secret, "Hello, World!")) == expected)
        let request = Inbound.request(
            [("X-Hub-Signature-256", "sha256=" + expected), ("X-GitHub-Event", "ping")],
            body: #"{"zen":"Hello, World!"}"#
        )
        // The body is not the documented one, so it must not verify; the documented one is not JSON.
        #expect(Inbound.judge("github", request, secrets: [Self.secret]).refusal == "no signature matches")
        let documented = Inbound.tampered(request, body: "Hello, World!")
        #expect(Inbound.judge("github", documented, secrets: [Self.secret]).refusal == "body is not JSON")
    }

    @Test func genuineRequestIsAcceptedWithTheAction() {
        let event = Inbound.judge("github", Self.signed(), secrets: [Self.secret]).event
        #expect(event?.eventType == "pull_request.opened")
        #expect(event?.eventID == "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        #expect(event?.payload == Inbound.json(Self.body))
    }

    @Test func pingIsAnOrdinaryEvent() {
        let body = #"{"zen":"Design for failure.","hook_id":1}"#
        let event = Inbound.judge("github", Self.signed(body, event: "ping"), secrets: [Self.secret]).event
        #expect(event?.eventType == "ping")
    }

    @Test func formEncodedHookUsesItsPayloadField() {
        let body =
            "payload=" + #"{"action":"created","issue":{"id":2}}"#.addingPercentEncoding(
                withAllowedCharacters: .alphanumerics
            )!
        let request = Self.signed(body, event: "issues", contentType: "application/x-www-form-urlencoded")
        let event = Inbound.judge("github", request, secrets: [Self.secret]).event
        #expect(event?.eventType == "issues.created")
        #expect(event?.payload == Inbound.json(#"{"action":"created","issue":{"id":2}}"#))
    }

    @Test func wrongSecretIsRefused() {
        let verdict = Inbound.judge("github", Self.signed(secret: "nope"), secrets: [Self.secret])
        #expect(verdict.refusal == "no signature matches")
    }

    @Test func missingOrMalformedHeaderIsRefused() {
        let missing = Inbound.removing("X-Hub-Signature-256", from: Self.signed())
        #expect(
            Inbound.judge("github", missing, secrets: [Self.secret]).refusal == "missing X-Hub-Signature-256 header"
        )
        let sha1 = Inbound.request([("X-Hub-Signature-256", "sha1=abcd")], body: Self.body)
        #expect(Inbound.judge("github", sha1, secrets: [Self.secret]).refusal == "malformed X-Hub-Signature-256 header")
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(Self.signed(), body: Self.body.replacingOccurrences(of: "7", with: "8"))
        #expect(Inbound.judge("github", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecret() {
        #expect(Inbound.judge("github", Self.signed(secret: "old"), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("github", Self.signed(secret: "new"), secrets: ["old", "new"]).event != nil)
    }

    @Test func upperCaseHexIsAccepted() {
        let mac = Inbound.hex(Inbound.hmacSHA256(Self.secret, Self.body)).uppercased()
        let request = Inbound.request([("x-hub-signature-256", "sha256=" + mac)], body: Self.body)
        #expect(Inbound.judge("github", request, secrets: [Self.secret]).event?.eventType == "webhook.opened")
    }
}
