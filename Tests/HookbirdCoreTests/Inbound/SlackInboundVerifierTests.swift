//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdTesting
import Testing

@Suite struct SlackInboundVerifierTests {
    // The signing secret, timestamp and slash-command body of Slack's "Verifying requests from Slack" guide.
    static let secret = "8f742231b10e8888abcd99yyyzzz85a5"
    static let vectorTimestamp = "1531420618"
    static let commandBody =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
        + "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
        + "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        + "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    static let eventBody =
        #"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","team_id":"T061EG9R6","api_app_id":"A0PNCHHK2","#
        + #""event":{"type":"app_mention","user":"U061F7AUR","text":"<@U0LAN0Z89> hi","ts":"1515449522.000016","#
        + #""channel":"C0LAN2Q65","event_ts":"1515449522000016"},"#
        + #""type":"event_callback","event_id":"Ev0LAN670R","event_time":1515449522}"#
    // Computed with slack_sdk 3.47.0: SignatureVerifier(secret).generate_signature(timestamp=ts, body=body).
    static let commandSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    static let eventSignature = "v0=6c82fe79704742a564092dfd4a8ca48994030f825791794d48c47c3ece407838"
    static let vectorNow = Timestamp(unixSeconds: 1_531_420_618)

    static func signed(
        _ body: String = eventBody,
        secret: String = secret,
        at ts: Int64 = Inbound.nowSeconds,
        contentType: String = "application/json"
    ) -> InboundRequest {
        Inbound.request(
            [
                ("Content-Type", contentType),
                ("X-Slack-Request-Timestamp", String(ts)),
                ("X-Slack-Signature", "v0=" + Inbound.hex(Inbound.hmacSHA256(secret, "v0:\(ts):\(body)"))),
            ],
            body: body
        )
    }

    @Test func knownAnswersFromSlackSDK() {
        let command = Inbound.request(
            [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Slack-Request-Timestamp", Self.vectorTimestamp),
                ("X-Slack-Signature", Self.commandSignature),
            ],
            body: Self.commandBody
        )
        let commandEvent = Inbound.judge("slack", command, secrets: [Self.secret], now: Self.vectorNow).event
        #expect(commandEvent?.eventType == ".webhook-collect")
        #expect(commandEvent?.eventID == nil)
        #expect(commandEvent?.payload["command"] == .string("/webhook-collect"))
        #expect(commandEvent?.payload["text"] == .string(""))
        #expect(
            commandEvent?.payload["response_url"]
                == .string("https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN")
        )

        let callback = Inbound.request(
            [
                ("Content-Type", "application/json"),
                ("X-Slack-Request-Timestamp", Self.vectorTimestamp),
                ("X-Slack-Signature", Self.eventSignature),
            ],
            body: Self.eventBody
        )
        let event = Inbound.judge("slack", callback, secrets: [Self.secret], now: Self.vectorNow).event
        #expect(event?.eventType == "app_mention")
        #expect(event?.eventID == "Ev0LAN670R")
        #expect(event?.payload == Inbound.json(Self.eventBody))
    }

    @Test func urlVerificationIsAHandshake() {
        let body =
            #"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","#
            + #""challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#
        let verdict = Inbound.judge("slack", Self.signed(body), secrets: [Self.secret])
        #expect(
            verdict.handshakeAnswer
                == .object(["challenge": .string("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")])
        )
        // An unsigned challenge is not answered.
        let forged = Self.signed(body, secret: "forger")
        #expect(Inbound.judge("slack", forged, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func interactivityWithoutCommandIsSlackForm() {
        let body = "payload=%7B%22type%22%3A%22block_actions%22%7D"
        let request = Self.signed(body, contentType: "application/x-www-form-urlencoded; charset=utf-8")
        let event = Inbound.judge("slack", request, secrets: [Self.secret]).event
        #expect(event?.eventType == "slack.form")
        #expect(event?.payload == .object(["payload": .string(#"{"type":"block_actions"}"#)]))
    }

    @Test func wrongSecretIsRefused() {
        #expect(
            Inbound.judge("slack", Self.signed(secret: "x"), secrets: [Self.secret]).refusal == "no signature matches"
        )
    }

    @Test func staleAndFutureTimestampsAreRefused() {
        let stale = Inbound.judge("slack", Self.signed(at: Inbound.nowSeconds - 301), secrets: [Self.secret])
        #expect(stale.refusal == "timestamp outside the tolerance of 300 s")
        let future = Inbound.judge("slack", Self.signed(at: Inbound.nowSeconds + 301), secrets: [Self.secret])
        #expect(future.refusal == "timestamp outside the tolerance of 300 s")
        // The vector is years old: refused at the test's "now".
        let old = Inbound.request(
            [("X-Slack-Request-Timestamp", Self.vectorTimestamp), ("X-Slack-Signature", Self.eventSignature)],
            body: Self.eventBody
        )
        #expect(
            Inbound.judge("slack", old, secrets: [Self.secret]).refusal == "timestamp outside the tolerance of 300 s"
        )
    }

    @Test func missingHeadersAreRefused() {
        let noSignature = Inbound.removing("X-Slack-Signature", from: Self.signed())
        #expect(
            Inbound.judge("slack", noSignature, secrets: [Self.secret]).refusal == "missing X-Slack-Signature header"
        )
        let noTimestamp = Inbound.removing("X-Slack-Request-Timestamp", from: Self.signed())
        #expect(
            Inbound.judge("slack", noTimestamp, secrets: [Self.secret]).refusal
                == "missing X-Slack-Request-Timestamp header"
        )
    }

    @Test func tamperedBodyIsRefused() {
        let request = Inbound.tampered(Self.signed(), body: Self.eventBody.replacingOccurrences(of: "hi", with: "yo"))
        #expect(Inbound.judge("slack", request, secrets: [Self.secret]).refusal == "no signature matches")
    }

    @Test func rotationAcceptsEitherSecret() {
        #expect(Inbound.judge("slack", Self.signed(secret: "old"), secrets: ["old", "new"]).event != nil)
        #expect(Inbound.judge("slack", Self.signed(secret: "new"), secrets: ["old", "new"]).event != nil)
    }
}
