//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

@Suite struct TelegramInboundVerifierTests {
    static let secret = "tg_Secret-Token_123"
    static let body =
        #"{"update_id":10000,"message":{"message_id":1365,"date":1441645532,"#
        + #""chat":{"id":1111111,"type":"private"},"text":"/start"}}"#

    static func request(token: String = secret, body: String = body) -> InboundRequest {
        Inbound.request([("Content-Type", "application/json"), ("X-Telegram-Bot-Api-Secret-Token", token)], body: body)
    }

    @Test func genuineRequestIsAccepted() {
        let event = Inbound.judge("telegram", Self.request(), secrets: [Self.secret]).event
        #expect(event?.eventType == "telegram.message")
        #expect(event?.eventID == "10000")
        #expect(event?.payload == Inbound.json(Self.body))
    }

    @Test func updateKindIsTheMemberBesidesUpdateId() {
        let body = #"{"callback_query":{"id":"4382bfdwdsb323b2d9","data":"x"},"update_id":10001}"#
        let event = Inbound.judge("telegram", Self.request(body: body), secrets: [Self.secret]).event
        #expect(event?.eventType == "telegram.callback_query")
        #expect(event?.eventID == "10001")
    }

    @Test func wrongTokenIsRefused() {
        #expect(
            Inbound.judge("telegram", Self.request(token: "nope"), secrets: [Self.secret]).refusal
                == "X-Telegram-Bot-Api-Secret-Token does not match"
        )
    }

    @Test func missingHeaderIsRefused() {
        let request = Inbound.removing("X-Telegram-Bot-Api-Secret-Token", from: Self.request())
        #expect(
            Inbound.judge("telegram", request, secrets: [Self.secret]).refusal
                == "missing X-Telegram-Bot-Api-Secret-Token header"
        )
    }

    @Test func nonJSONBodyIsRefused() {
        #expect(
            Inbound.judge("telegram", Self.request(body: "update"), secrets: [Self.secret]).refusal
                == "body is not JSON"
        )
    }

    @Test func rotationAcceptsEitherToken() {
        #expect(Inbound.judge("telegram", Self.request(token: "old"), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("telegram", Self.request(token: "new"), secrets: ["old", "new"]).event != nil)
    }
}
