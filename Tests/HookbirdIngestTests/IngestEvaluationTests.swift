//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
import HookbirdCore
import HookbirdHTTP
import HookbirdTesting
import Testing

@testable import HookbirdIngest

/// The gateway's evaluation, outcome by outcome and refusal by refusal: the order of its checks, the reason stored
/// with each refusal, and the answer the provider gets (built with ``IngestVerdictTests``' signed requests).
@Suite struct IngestEvaluationTests {
    typealias Fixture = IngestVerdictTests

    /// The refusal of `verdict`, recorded as an issue when it is not a refusal.
    static func refusal(_ verdict: IngestVerdict, sourceLocation: SourceLocation = #_sourceLocation) -> IngestRefusal? {
        guard case .refused(let refusal) = verdict else {
            Issue.record("not refused: \(verdict)", sourceLocation: sourceLocation)
            return nil
        }
        return refusal
    }

    /// What Stripe's verifier itself makes of `request` at the fixture's time.
    static func stripeVerifierVerdict(_ request: InboundRequest) throws -> InboundVerdict {
        let verifier = try #require(InboundVerifiers.verifier(for: "stripe"))
        return verifier.verify(request, settings: Fixture.source().settings, now: Fixture.now)
    }

    // MARK: Accepted

    @Test func anAcceptedEventCarriesTheBodyAsItsPayload() throws {
        let body = #"{"id":"evt_9","type":"customer.created","data":{"object":{"n":1}}}"#
        guard case .accepted(let event) = Fixture.verdict(Fixture.stripe(body)) else {
            Issue.record("not accepted")
            return
        }
        let parsed = try #require(JSONValue.parse(body))
        #expect(event.payload == parsed)
        #expect(event.payload["data"]?["object"]?["n"]?.int == 1)
        #expect(event.eventID == "evt_9")
        #expect(event.eventType == "customer.created")
    }

    @Test func withoutAnAllowlistTheRemoteAddressDoesNotMatter() {
        for remote in ["192.0.2.1", "2001:db8::1", "not an address", nil] as [String?] {
            let verdict = Fixture.verdict(Fixture.stripe(#"{"id":"evt_1","type":"a.b"}"#), remote: remote)
            guard case .accepted = verdict else {
                Issue.record("\(remote ?? "nil"): \(verdict)")
                continue
            }
        }
    }

    @Test func anAddressInsideTheAllowlistIsAccepted() {
        let source = Fixture.source(allowedIPs: ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"])
        for remote in ["10.1.2.3", "192.0.2.7", "2001:db8::1"] {
            let verdict = Fixture.verdict(Fixture.stripe(#"{"id":"evt_1","type":"a.b"}"#), source: source, remote: remote)
            guard case .accepted = verdict else {
                Issue.record("\(remote): \(verdict)")
                continue
            }
        }
    }

    // MARK: Handshake

    @Test func aHandshakeIsAnsweredWithTheChallengeAlone() throws {
        let (request, source) = Fixture.slackHandshake(challenge: "c-123")
        guard case .handshake(let answer) = Fixture.verdict(request, source: source) else {
            Issue.record("no handshake")
            return
        }
        #expect(answer == .object(["challenge": .string("c-123")]))
        #expect(answer["challenge"]?.string == "c-123")
    }

    @Test func aHandshakeFromAnAddressNotAllowedIsRefused() {
        var (request, source) = Fixture.slackHandshake(challenge: "abc")
        source.allowedIPs = ["10.0.0.0/8"]
        #expect(Fixture.verdict(request, source: source, remote: "192.0.2.1") == .refused(.addressNotAllowed("192.0.2.1")))
        guard case .handshake = Fixture.verdict(request, source: source, remote: "10.0.0.1") else {
            Issue.record("no handshake from an allowed address")
            return
        }
    }

    // MARK: Refused: too large

    @Test func aBodyOverTheLimitIsRefusedWhateverTheSourceOrRequest() throws {
        let unknown = Fixture.source(provider: "nobody", maxBody: 64)
        #expect(Fixture.verdict(Fixture.stripe("{}"), source: unknown, tooLarge: true) == .refused(.tooLarge(limit: 64)))
        let allowed = Fixture.source(allowedIPs: ["203.0.113.0/24"], maxBody: 2048)
        let empty = InboundRequest(method: "POST", url: "http://localhost/webhook/stripe", headers: [], body: [])
        let refusal = try #require(Self.refusal(Fixture.verdict(empty, source: allowed, tooLarge: true)))
        #expect(refusal == .tooLarge(limit: 2048))
        #expect(refusal.reason == "payload too large (over 2048 bytes)")
        #expect(refusal.error.status == .contentTooLarge)
        #expect(refusal.error.code == "payload_too_large")
    }

    // MARK: Refused: address not allowed

    @Test func anAddressNotAllowedIsRefusedWithItsReason() throws {
        let source = Fixture.source(allowedIPs: ["10.0.0.0/8", "2001:db8::/32"])
        let request = Fixture.stripe(#"{"id":"evt_1","type":"a.b"}"#)
        for remote in ["192.0.2.1", "11.0.0.1", "2001:db9::1"] {
            let refusal = try #require(Self.refusal(Fixture.verdict(request, source: source, remote: remote)))
            #expect(refusal == .addressNotAllowed(remote))
            #expect(refusal.reason == "remote address \(remote) is not allowed")
            #expect(refusal.error.status == .forbidden)
            #expect(refusal.error.code == "forbidden")
            #expect(refusal.error.detail == refusal.reason)
        }
        let unknown = try #require(Self.refusal(Fixture.verdict(request, source: source, remote: nil)))
        #expect(unknown.reason == "remote address unknown is not allowed")
        #expect(unknown.error.status == .forbidden)
    }

    @Test func anUnreadableRemoteAddressIsNotAllowed() {
        let source = Fixture.source(allowedIPs: ["10.0.0.0/8"])
        #expect(
            Fixture.verdict(Fixture.stripe("{}"), source: source, remote: "10.0.0.1.5")
                == .refused(.addressNotAllowed("10.0.0.1.5"))
        )
        #expect(Fixture.verdict(Fixture.stripe("{}"), source: source, remote: "") == .refused(.addressNotAllowed("")))
    }

    @Test func malformedAllowlistEntriesAllowNothing() {
        let request = Fixture.stripe(#"{"id":"evt_1","type":"a.b"}"#)
        let onlyBad = Fixture.source(allowedIPs: ["bogus", "10.0.0.0/"])
        #expect(Fixture.verdict(request, source: onlyBad, remote: "10.0.0.1") == .refused(.addressNotAllowed("10.0.0.1")))
        let mixed = Fixture.source(allowedIPs: ["bogus", "10.0.0.0/8"])
        guard case .accepted = Fixture.verdict(request, source: mixed, remote: "10.0.0.1") else {
            Issue.record("the good entry beside a bad one does not allow")
            return
        }
    }

    @Test func theAllowlistIsCheckedBeforeTheProviderAndTheSignature() {
        var forged = Fixture.stripe(#"{"id":"evt_1"}"#)
        forged.body = Array(#"{"id":"evt_2"}"#.utf8)
        let allowlisted = Fixture.source(allowedIPs: ["10.0.0.0/8"])
        #expect(Fixture.verdict(forged, source: allowlisted, remote: "192.0.2.1") == .refused(.addressNotAllowed("192.0.2.1")))
        let unknown = Fixture.source(provider: "nobody", allowedIPs: ["10.0.0.0/8"])
        #expect(
            Fixture.verdict(Fixture.stripe("{}"), source: unknown, remote: "192.0.2.1")
                == .refused(.addressNotAllowed("192.0.2.1"))
        )
        #expect(Fixture.verdict(Fixture.stripe("{}"), source: unknown, remote: "10.0.0.1") == .refused(.unknownProvider("nobody")))
    }

    // MARK: Refused: unknown provider

    @Test func anUnknownProviderIsRefusedWithItsReason() throws {
        let refusal = try #require(
            Self.refusal(Fixture.verdict(Fixture.stripe("{}"), source: Fixture.source(provider: "nobody")))
        )
        #expect(refusal.reason == "unknown provider nobody")
        #expect(refusal.error.status == .unauthorized)
        #expect(refusal.error.code == "invalid_signature")
        #expect(refusal.error.detail == refusal.reason)
    }

    // MARK: Refused by the verifier

    /// A forged body, a missing header and a stale timestamp: the verifier's refusal and reason, unchanged, answered
    /// 401.
    @Test func signatureRefusalsKeepTheVerifiersReason() throws {
        var forged = Fixture.stripe(#"{"id":"evt_1"}"#)
        forged.body = Array(#"{"id":"evt_2"}"#.utf8)
        var unsigned = Fixture.stripe(#"{"id":"evt_1"}"#)
        unsigned.headers = []
        let stale = Fixture.stripe(#"{"id":"evt_1"}"#, at: Fixture.now.adding(seconds: -3600))
        var reasons: Set<String> = []
        for request in [forged, unsigned, stale] {
            guard case .refused(let expected) = try Self.stripeVerifierVerdict(request) else {
                Issue.record("the verifier accepted \(request.headers)")
                continue
            }
            #expect(expected.kind == .signature)
            let refusal = try #require(Self.refusal(Fixture.verdict(request)))
            #expect(refusal == .verifier(expected))
            #expect(refusal.reason == expected.reason)
            #expect(!refusal.reason.isEmpty)
            #expect(refusal.error.status == .unauthorized)
            #expect(refusal.error.code == "invalid_signature")
            #expect(refusal.error.detail == refusal.reason)
            reasons.insert(refusal.reason)
        }
        #expect(reasons.count == 3, "each refusal says what is wrong: \(reasons)")
    }

    @Test func aPayloadRefusalIsABadRequestWithTheVerifiersReason() throws {
        let request = Fixture.stripe("not json")
        #expect(try Self.stripeVerifierVerdict(request) == .refused(.payload("body is not JSON")))
        let refusal = try #require(Self.refusal(Fixture.verdict(request)))
        #expect(refusal.reason == "body is not JSON")
        #expect(refusal.error.status == .badRequest)
        #expect(refusal.error.code == "invalid_payload")
        #expect(refusal.error.detail == refusal.reason)
    }
}
