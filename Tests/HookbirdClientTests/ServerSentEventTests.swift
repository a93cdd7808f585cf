//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdClient
import Testing

@Suite struct ServerSentEventTests {
    typealias Event = ServerSentEventParser.Event

    @Test func eventsCommentsAndLineEnds() {
        var parser = ServerSentEventParser()
        let events = parser.feed(
            Array("event: ready\ndata: {\"a\":1}\n\n: heartbeat\n\nevent: webhook\r\ndata:x\r\ndata: y\r\n\r\n".utf8)
        )
        #expect(events == [Event(name: "ready", data: #"{"a":1}"#), Event(name: "webhook", data: "x\ny")])
    }

    @Test func eventsSplitAcrossChunks() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("event: web".utf8)).isEmpty)
        #expect(parser.feed(Array("hook\ndata: {}\n".utf8)).isEmpty)
        #expect(parser.feed(Array("\ndata: plain\n\n".utf8)) == [Event(name: "webhook", data: "{}"), Event(name: "message", data: "plain")])
    }

    @Test func fieldsWithoutDataAreNoEvent() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("event: replaced\n\nid: 7\nretry: 10\n\n".utf8)).isEmpty)
        #expect(parser.feed(Array("event: replaced\ndata: {}\n\n".utf8)) == [Event(name: "replaced", data: "{}")])
    }

    @Test func listenEvents() throws {
        guard case .ready(let ready?) = ListenStream.Event(Event(name: "ready", data: #"{"endpointId":"ep_1","expedited":2}"#))
        else {
            Issue.record("not a ready event")
            return
        }
        #expect(ready.endpointId == "ep_1" && ready.expedited == 2)
        guard case .ready(nil) = ListenStream.Event(Event(name: "ready", data: "?")) else {
            Issue.record("an unreadable ready is still ready")
            return
        }
        let data = #"{"token":"t","msgId":"msg_1","eventType":"a.b","headers":[["webhook-id","msg_1"]],"body":"{}"}"#
        guard case .webhook(let webhook) = ListenStream.Event(Event(name: "webhook", data: data)) else {
            Issue.record("not a webhook event")
            return
        }
        #expect(webhook.token == "t" && webhook.msgId == "msg_1" && webhook.headers == [["webhook-id", "msg_1"]])
        guard case .unreadable = ListenStream.Event(Event(name: "webhook", data: "{}")) else {
            Issue.record("an unreadable webhook")
            return
        }
        guard case .replaced = ListenStream.Event(Event(name: "replaced", data: "{}")) else {
            Issue.record("not a replaced event")
            return
        }
        #expect(ListenStream.Event(Event(name: "message", data: "x")) == nil)
    }
}
