//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@Suite struct GitLabInboundVerifierTests {
    static let secret = "gl-hook-token"
    static let body =
        #"{"object_kind":"push","ref":"refs/heads/main","checkout_sha":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}"#

    static func request(token: String = secret, event: String? = "Push Hook", body: String = body) -> InboundRequest {
        var headers = [
            ("Content-Type", "application/json"),
            ("X-Gitlab-Token", token),
            ("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e"),
            ("Idempotency-Key", "f5e5f430-f57b-4e6e-9fac-d9128cd7232f"),
        ]
        if let event { headers.append(("X-Gitlab-Event", event)) }
        return Inbound.request(headers, body: body)
    }

    @Test func genuineRequestIsAccepted() {
        let event = Inbound.judge("gitlab", Self.request(), secrets: [Self.secret]).event
        #expect(event?.eventType == "Push.Hook")
        #expect(event?.eventID == "13792a34-cac6-4fda-95a8-c58e00a3954e")
        #expect(event?.payload == Inbound.json(Self.body))
    }

    @Test func fallsBackToObjectKindAndIdempotencyKey() {
        let request = Inbound.removing("X-Gitlab-Event-UUID", from: Self.request(event: nil))
        let event = Inbound.judge("gitlab", request, secrets: [Self.secret]).event
        #expect(event?.eventType == "push")
        #expect(event?.eventID == "f5e5f430-f57b-4e6e-9fac-d9128cd7232f")
    }

    @Test func wrongTokenIsRefused() {
        #expect(
            Inbound.judge("gitlab", Self.request(token: "gl-hook-tokeX"), secrets: [Self.secret]).refusal
                == "X-Gitlab-Token does not match"
        )
        #expect(Inbound.judge("gitlab", Self.request(token: "gl-hook-token2"), secrets: [Self.secret]).event == nil)
        #expect(Inbound.judge("gitlab", Self.request(token: "gl-hook"), secrets: [Self.secret]).event == nil)
    }

    @Test func missingHeaderIsRefused() {
        let request = Inbound.removing("X-Gitlab-Token", from: Self.request())
        #expect(Inbound.judge("gitlab", request, secrets: [Self.secret]).refusal == "missing X-Gitlab-Token header")
    }

    @Test func nonJSONBodyIsRefused() {
        // A token scheme does not bind the body; what it can check is that the body is JSON.
        #expect(
            Inbound.judge("gitlab", Self.request(body: "push"), secrets: [Self.secret]).refusal == "body is not JSON"
        )
    }

    @Test func rotationAcceptsEitherToken() {
        #expect(Inbound.judge("gitlab", Self.request(token: "old"), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("gitlab", Self.request(token: "new"), secrets: ["old", "new"]).event != nil)
    }
}
