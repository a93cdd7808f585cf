//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdDelivery
import HookbirdSQLite
import HookbirdSQL
import HookbirdStorage
import HookbirdTesting
import Testing

@Suite struct ListenerHubTests {
    let endpoint = EndpointID.generate(at: .now)

    func webhook(_ url: String) -> OutgoingWebhook {
        OutgoingWebhook(url: url, headers: [("webhook-id", "msg_1")], body: Array(#"{"n":1}"#.utf8), eventType: "a.b")
    }

    /// The first delivery event of a session.
    func nextDelivery(_ session: ListenerSession) async -> (token: String, webhook: OutgoingWebhook)? {
        for await event in session.events {
            if case .delivery(let token, let webhook) = event { return (token, webhook) }
        }
        return nil
    }

    @Test func urlsNameTheirEndpoint() {
        let url = ListenerHub.url(for: endpoint)
        #expect(url == "hookbird-listen://\(endpoint.rawValue)")
        #expect(ListenerHub.endpoint(inURL: url) == endpoint)
        #expect(ListenerHub.endpoint(inURL: "https://example.com/\(endpoint.rawValue)") == nil)
        #expect(ListenerHub.endpoint(inURL: "hookbird-listen://nonsense") == nil)
    }

    @Test func failsAtOnceWithNoListener() async {
        let hub = ListenerHub()
        guard case .failure(let reason) = await hub.send(webhook(ListenerHub.url(for: endpoint)), to: endpoint, timeout: .seconds(5))
        else { Issue.record("expected a failure"); return }
        #expect(reason == "listener not connected")
    }

    @Test func theListenersAnswerIsTheResult() async throws {
        let hub = ListenerHub()
        let session = hub.attach(endpoint: endpoint)
        async let result = hub.send(webhook(ListenerHub.url(for: endpoint)), to: endpoint, timeout: .seconds(10))
        let (token, sent) = try #require(await nextDelivery(session))
        #expect(sent.eventType == "a.b" && sent.body == Array(#"{"n":1}"#.utf8))
        #expect(!hub.complete(token: token, endpoint: .generate(at: .now), result: .response(status: 200, retryAfter: nil, body: [])))
        #expect(hub.complete(token: token, endpoint: endpoint, result: .response(status: 418, retryAfter: nil, body: [1])))
        guard case .response(let status, _, let body) = await result else { Issue.record("expected a response"); return }
        #expect(status == 418 && body == [1])
        // Answered once only.
        #expect(!hub.complete(token: token, endpoint: endpoint, result: .response(status: 200, retryAfter: nil, body: [])))
        session.close()
        #expect(!hub.isConnected(endpoint))
    }

    @Test func noAnswerInTimeIsATimeout() async throws {
        let hub = ListenerHub()
        let session = hub.attach(endpoint: endpoint)
        guard case .timeout = await hub.send(webhook(ListenerHub.url(for: endpoint)), to: endpoint, timeout: .milliseconds(50))
        else { Issue.record("expected a timeout"); return }
        let (token, _) = try #require(await nextDelivery(session))
        #expect(!hub.complete(token: token, endpoint: endpoint, result: .response(status: 200, retryAfter: nil, body: [])))
        session.close()
    }

    @Test func aNewConnectionReplacesTheOldAndFailsWhatItOwed() async throws {
        let hub = ListenerHub()
        let old = hub.attach(endpoint: endpoint)
        async let result = hub.send(webhook(ListenerHub.url(for: endpoint)), to: endpoint, timeout: .seconds(10))
        _ = try #require(await nextDelivery(old))
        let new = hub.attach(endpoint: endpoint)
        guard case .failure(let reason) = await result else { Issue.record("expected a failure"); return }
        #expect(reason.contains("replaced"))
        // The old stream ends with `replaced`; closing it late does not disconnect the new one.
        var last: ListenerEvent?
        for await event in old.events { last = event }
        guard case .replaced = last else { Issue.record("expected the old stream to end with replaced"); return }
        old.close()
        #expect(hub.isConnected(endpoint))
        new.close()
    }

    @Test func routesListenerURLsToTheHubAndTheRestElsewhere() async throws {
        let hub = ListenerHub()
        let other = ScriptedTransport([.response(status: 204, retryAfter: nil, body: [])])
        let transport = ListenerRoutingTransport(hub: hub, other: other)
        guard case .failure = await transport.send(webhook(ListenerHub.url(for: endpoint)), timeout: .seconds(1)) else {
            Issue.record("expected the hub's failure"); return
        }
        guard case .response(204, _, _) = await transport.send(webhook("http://127.0.0.1:9/hook"), timeout: .seconds(1))
        else { Issue.record("expected the other transport's answer"); return }
        #expect(other.sent.map(\.url) == ["http://127.0.0.1:9/hook"])
    }

    /// The transport routes by the kind the webhook carries (its endpoint's), not by reading its URL.
    @Test func routesByTheEndpointsKind() async throws {
        let hub = ListenerHub()
        let other = ScriptedTransport([.response(status: 204, retryAfter: nil, body: [])])
        let transport = ListenerRoutingTransport(hub: hub, other: other)
        var toListener = webhook("https://not-read.test/hook")
        toListener.kind = .stream(listener: endpoint)
        guard case .failure = await transport.send(toListener, timeout: .seconds(1)) else {
            Issue.record("expected the hub's failure"); return
        }
        var toHTTP = webhook(ListenerHub.url(for: endpoint))
        toHTTP.kind = .http
        guard case .response(204, _, _) = await transport.send(toHTTP, timeout: .seconds(1)) else {
            Issue.record("expected the other transport's answer"); return
        }
        #expect(other.sent.map(\.url) == [ListenerHub.url(for: endpoint)])
    }

    @Test func expeditingMakesWaitingRetriesDue() async throws {
        let fixture = try await Fixture.make()
        defer { Task { await fixture.cleanUp() } }
        let engine = fixture.service(ScriptedTransport(fallback: .failure("listener not connected")))
        try await fixture.sendMessage()
        #expect(try await fixture.runDue(engine) == 1)
        // The retry waits; nothing is due until expedited.
        #expect(try await fixture.runDue(engine) == 0)
        #expect(try await fixture.store.expediteDeliveries(endpoint: fixture.endpoint.id, now: fixture.clock.now) == 1)
        #expect(try await fixture.store.expediteDeliveries(endpoint: fixture.endpoint.id, now: fixture.clock.now) == 0)
        #expect(try await fixture.runDue(engine) == 1)
        #expect(try await fixture.attempts().count == 2)
    }
}
