//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import HTTPTypes
import HookbirdCore
import HookbirdHTTP
import Testing

@testable import HookbirdIngest

/// What the gateway makes of a request, before anything is stored, and what each refusal answers.
@Suite struct IngestVerdictTests {
    static let now = Timestamp(unixSeconds: 1_800_000_000)
    static let secret = "whsec_gatewayTestSecret0123456789"

    static func source(provider: String = "stripe", allowedIPs: [String] = [], maxBody: Int = 1024) -> Source {
        Source(
            id: .generate(at: now),
            orgID: .default,
            appID: .generate(at: now),
            uid: "stripe",
            name: "Stripe",
            settings: InboundSourceSettings(provider: provider, secrets: [secret]),
            allowedIPs: allowedIPs,
            maxBody: maxBody,
            createdAt: now,
            updatedAt: now
        )
    }

    /// The hex HMAC-SHA256 of `content` keyed with the bytes of `key`.
    static func hmacHex(_ key: String, _ content: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(content.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// A request signed as Stripe signs, at `time` (by default `now`).
    static func stripe(_ body: String, at time: Timestamp = now) -> InboundRequest {
        let t = String(time.unixSeconds)
        let signature = hmacHex(secret, "\(t).\(body)")
        return InboundRequest(
            method: "POST",
            url: "http://localhost/webhook/stripe",
            headers: [(name: "Stripe-Signature", value: "t=\(t),v1=\(signature)")],
            body: Array(body.utf8)
        )
    }

    static func verdict(_ request: InboundRequest, source: Source = source(), tooLarge: Bool = false,
                        remote: String? = "203.0.113.9") -> IngestVerdict {
        IngestVerdict.evaluate(source: source, request: request, bodyTooLarge: tooLarge, remoteAddress: remote, now: now)
    }

    @Test func aGenuineEventIsAccepted() throws {
        let verdict = Self.verdict(Self.stripe(#"{"id":"evt_1","type":"invoice.paid"}"#))
        guard case .accepted(let event) = verdict else { Issue.record("not accepted: \(verdict)"); return }
        #expect(event.eventID == "evt_1")
        #expect(event.eventType == "invoice.paid")
    }

    @Test func aBodyOverTheLimitIsRefusedBeforeAnythingElse() {
        let verdict = Self.verdict(Self.stripe("{}"), source: Self.source(allowedIPs: ["10.0.0.0/8"]), tooLarge: true)
        #expect(verdict == .refused(.tooLarge(limit: 1024)))
        guard case .refused(let refusal) = verdict else { return }
        #expect(refusal.error.status == .contentTooLarge)
        #expect(refusal.reason == "payload too large (over 1024 bytes)")
    }

    @Test func anAddressOutsideTheAllowlistIsForbidden() {
        let source = Self.source(allowedIPs: ["10.0.0.0/8"])
        #expect(Self.verdict(Self.stripe("{}"), source: source, remote: "10.1.2.3") != .refused(.addressNotAllowed("10.1.2.3")))
        let verdict = Self.verdict(Self.stripe("{}"), source: source, remote: "192.0.2.1")
        #expect(verdict == .refused(.addressNotAllowed("192.0.2.1")))
        guard case .refused(let refusal) = verdict else { return }
        #expect(refusal.error.status == .forbidden)
        #expect(Self.verdict(Self.stripe("{}"), source: source, remote: nil) == .refused(.addressNotAllowed(nil)))
    }

    @Test func anUnknownProviderFailsClosed() {
        let verdict = Self.verdict(Self.stripe("{}"), source: Self.source(provider: "nobody"))
        #expect(verdict == .refused(.unknownProvider("nobody")))
        guard case .refused(let refusal) = verdict else { return }
        #expect(refusal.error.status == .unauthorized)
        #expect(refusal.error.code == "invalid_signature")
    }

    @Test func aBadSignatureIsUnauthorizedAndAnUnreadableBodyABadRequest() {
        var forged = Self.stripe(#"{"id":"evt_1"}"#)
        forged.body = Array(#"{"id":"evt_2"}"#.utf8)
        guard case .refused(let signature) = Self.verdict(forged) else { Issue.record("forged accepted"); return }
        #expect(signature.error.status == .unauthorized)
        #expect(signature.error.code == "invalid_signature")
        guard case .refused(let payload) = Self.verdict(Self.stripe("not json")) else {
            Issue.record("not JSON accepted")
            return
        }
        #expect(payload == .verifier(.payload("body is not JSON")))
        #expect(payload.error.status == .badRequest)
        #expect(payload.error.code == "invalid_payload")
    }

    @Test func handshakesAreAnswered() {
        let (request, slack) = Self.slackHandshake(challenge: "abc")
        guard case .handshake(let answer) = Self.verdict(request, source: slack) else {
            Issue.record("no handshake")
            return
        }
        #expect(answer.compactJSON().contains("abc"))
    }

    /// A Slack `url_verification` request signed as Slack signs, at `now`, and a Slack source with its secret.
    static func slackHandshake(challenge: String) -> (InboundRequest, Source) {
        var slack = source(provider: "slack")
        slack.settings = InboundSourceSettings(provider: "slack", secrets: ["slack-signing-secret"])
        let body = #"{"type":"url_verification","challenge":"\#(challenge)"}"#
        let t = String(now.unixSeconds)
        let request = InboundRequest(
            method: "POST",
            url: "http://localhost/webhook/slack",
            headers: [
                (name: "X-Slack-Request-Timestamp", value: t),
                (name: "X-Slack-Signature", value: "v0=" + hmacHex("slack-signing-secret", "v0:\(t):\(body)")),
            ],
            body: Array(body.utf8)
        )
        return (request, slack)
    }
}
