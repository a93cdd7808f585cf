//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Testing

enum Fixtures {
    static func endpoint(
        secret: EndpointSecret = .generate(),
        disabled: Bool = false,
        eventTypes: [String]? = nil,
        channels: [String]? = nil,
        retiredSecrets: [Endpoint.RetiredSecret] = []
    ) -> Endpoint {
        let now = Timestamp.now
        return Endpoint(
            id: .generate(at: now),
            appID: .generate(at: now),
            orgID: .default,
            uid: nil,
            url: "https://example.com/hook",
            description: "",
            disabled: disabled,
            eventTypes: eventTypes,
            channels: channels,
            throttleRate: nil,
            metadata: [:],
            secret: secret,
            retiredSecrets: retiredSecrets,
            createdAt: now,
            updatedAt: now
        )
    }
}

/// Svix's fan-out rule (reference §7.1).
@Suite struct EndpointMatchingTests {
    func matches(_ eventTypes: [String]?, _ channels: [String]?, type: String, messageChannels: [String]?) -> Bool {
        Endpoint.matches(
            eventTypeFilter: eventTypes,
            channelFilter: channels,
            eventType: type,
            channels: messageChannels
        )
    }

    @Test func noFiltersMatchEverything() {
        #expect(matches(nil, nil, type: "invoice.paid", messageChannels: nil))
        #expect(matches(nil, nil, type: "invoice.paid", messageChannels: ["project_1"]))
        #expect(matches(nil, nil, type: "anything", messageChannels: ["a", "b"]))
    }

    @Test func eventTypeFilter() {
        let filter = ["invoice.paid", "user.signup"]
        #expect(matches(filter, nil, type: "invoice.paid", messageChannels: nil))
        #expect(matches(filter, nil, type: "user.signup", messageChannels: ["x"]))
        #expect(!matches(filter, nil, type: "invoice.failed", messageChannels: nil))
        #expect(!matches(filter, nil, type: "Invoice.paid", messageChannels: nil), "names are case-sensitive")
        #expect(!matches(filter, nil, type: "invoice", messageChannels: nil), "no prefix matching")
    }

    @Test func channelFilter() {
        let filter = ["project_1", "project_2"]
        #expect(!matches(nil, filter, type: "a", messageChannels: nil), "a message without channels never matches")
        #expect(!matches(nil, filter, type: "a", messageChannels: []), "nor does one with an empty list")
        #expect(!matches(nil, filter, type: "a", messageChannels: ["project_3"]))
        #expect(matches(nil, filter, type: "a", messageChannels: ["project_2"]))
        #expect(matches(nil, filter, type: "a", messageChannels: ["project_3", "project_1"]), "any shared channel")
    }

    @Test func bothFiltersMustPass() {
        let types = ["invoice.paid"]
        let channels = ["project_1"]
        #expect(matches(types, channels, type: "invoice.paid", messageChannels: ["project_1"]))
        #expect(!matches(types, channels, type: "invoice.paid", messageChannels: ["project_2"]))
        #expect(!matches(types, channels, type: "invoice.paid", messageChannels: nil))
        #expect(!matches(types, channels, type: "user.signup", messageChannels: ["project_1"]))
    }

    @Test func acceptsAddsTheDisabledFlag() {
        let open = Fixtures.endpoint()
        #expect(open.accepts(eventType: "a", channels: nil))
        let disabled = Fixtures.endpoint(disabled: true)
        #expect(!disabled.accepts(eventType: "a", channels: nil))
        let filtered = Fixtures.endpoint(eventTypes: ["a"], channels: ["c"])
        #expect(filtered.accepts(eventType: "a", channels: ["c"]))
        #expect(!filtered.accepts(eventType: "a", channels: nil))
        #expect(!filtered.accepts(eventType: "b", channels: ["c"]))
    }

    @Test func signingSecretsAreCurrentFirstThenUnexpiredRetired() {
        let now = Timestamp(unixSeconds: 1_700_000_000)
        let current = EndpointSecret.generate()
        let live = EndpointSecret.generate()
        let expired = EndpointSecret.generate()
        let expiringNow = EndpointSecret.generate()
        let endpoint = Fixtures.endpoint(
            secret: current,
            retiredSecrets: [
                .init(secret: live, expiresAt: now.adding(seconds: 60)),
                .init(secret: expired, expiresAt: now.adding(seconds: -60)),
                .init(secret: expiringNow, expiresAt: now),
            ]
        )
        #expect(endpoint.signingSecrets(at: now) == [current, live])
        #expect(endpoint.signingSecrets(at: now.adding(seconds: 61)) == [current])
        #expect(endpoint.signingSecrets(at: now.adding(seconds: -61)) == [current, live, expired, expiringNow])
    }
}

/// An endpoint carries its kind, told from its URL when it is made and whenever the URL changes.
@Suite struct EndpointKindTests {
    @Test func theKindFollowsTheURL() {
        var endpoint = Fixtures.endpoint()
        #expect(endpoint.kind == .http)
        #expect(endpoint.kind.listener == nil)
        endpoint.url = StreamEndpoint.url(for: endpoint.id)
        #expect(endpoint.kind == .stream(listener: endpoint.id))
        #expect(endpoint.kind.listener == endpoint.id)
        endpoint.url = "https://example.com/other"
        #expect(endpoint.kind == .http)
    }

    @Test(arguments: ["https://x.test/hook", "http://127.0.0.1:9/", "hookbird-listen://", "hookbird-listen:/ep_x"])
    func otherURLsAreHTTP(_ url: String) {
        #expect(EndpointKind(url: url) == .http)
    }
}
