//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct PaddleInboundVerifierTests {
    static let secret = "pdl_ntfset_01h8brhf7p3xk2n7t4hv2ssbqj_hookbird"
    static let body =
        #"{"event_id":"evt_01h8bzakzx3hm2fmen703n5q45","event_type":"transaction.completed","#
        + #""occurred_at":"2023-08-21T11:57:47.390028Z","data":{"id":"txn_1"}}"#

    static func signed(_ body: String = body, secrets: [String] = [secret], at ts: Int64 = Inbound.nowSeconds)
        -> InboundRequest
    {
        let h1 = secrets.map { "h1=" + Inbound.hex(Inbound.hmacSHA256($0, "\(ts):\(body)")) }
        return Inbound.request(
            [("Content-Type", "application/json"), ("Paddle-Signature", (["ts=\(ts)"] + h1).joined(separator: ";"))],
            body: body
        )
    }

    @Test func genuineRequestIsAccepted() {
        let event = Inbound.judge("paddle", Self.signed(), secrets: [Self.secret]).event
        #expect(event?.eventType == "transaction.completed")
        #expect(event?.eventID == "evt_01h8bzakzx3hm2fmen703n5q45")
        #expect(event?.payload == Inbound.json(Self.body))
    }

    @Test func wrongSecretIsRefused() {
        #expect(
            Inbound.judge("paddle", Self.signed(secrets: ["x"]), secrets: [Self.secret]).refusal
                == "no signature matches"
        )
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let stale = Inbound.judge("paddle", Self.signed(at: Inbound.nowSeconds - 301), secrets: [Self.secret])
        #expect(stale.refusal == "timestamp outside the tolerance of 300 s")
        let future = Inbound.judge("paddle", Self.signed(at: Inbound.nowSeconds + 301), secrets: [Self.secret])
        #expect(future.refusal == "timestamp outside the tolerance of 300 s")
        let strict = Inbound.judge(
            "paddle",
            Self.signed(at: Inbound.nowSeconds - 6),
            secrets: [Self.secret],
            tolerance: 5
        )
        #expect(strict.refusal == "timestamp outside the tolerance of 5 s")
    }

    @Test func missingOrMalformedHeaderIsRefused() {
        let request = Inbound.removing("Paddle-Signature", from: Self.signed())
        #expect(Inbound.judge("paddle", request, secrets: [Self.secret]).refusal == "missing Paddle-Signature header")
        let noH1 = Inbound.request([("Paddle-Signature", "ts=\(Inbound.nowSeconds)")], body: Self.body)
        #expect(Inbound.judge("paddle", noH1, secrets: [Self.secret]).refusal == "Paddle-Signature has no h1 signature")
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(Self.signed(), body: Self.body.replacingOccurrences(of: "txn_1", with: "txn_2"))
        #expect(Inbound.judge("paddle", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecretAndAnyH1() {
        #expect(Inbound.judge("paddle", Self.signed(secrets: ["old"]), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("paddle", Self.signed(secrets: ["new"]), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("paddle", Self.signed(secrets: ["other", "new"]), secrets: ["new"]).event != nil)
    }
}
