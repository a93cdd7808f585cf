//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import HookbirdTesting
import Hummingbird
import Testing

@Suite struct MessageAPITests {
    @Test(arguments: TestBackend.available)
    func createReturns202WithTheMessage(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let before = Timestamp.now
            let response = try await api.post(
                "/api/v1/app/app1/msg",
                #"{"eventType":"invoice.paid","payload":{"b":1,"a":{"nested":[1,2]}},"#
                    + #""eventId":"evt-1","channels":["c1"]}"#
            )
            try response.expect(.accepted)
            let message = try response.json()
            #expect(MessageID(rawValue: message.id) != nil, "\(message.id)")
            #expect(message["eventType"]?.string == "invoice.paid")
            #expect(message["eventId"]?.string == "evt-1")
            #expect(message["channels"] == .array([.string("c1")]))
            #expect(
                message["payload"] == .object(["b": .int(1), "a": .object(["nested": .array([.int(1), .int(2)])])])
            )
            let timestamp = try #require(message["timestamp"]?.string.flatMap(Timestamp.init(iso8601:)))
            #expect(timestamp >= before)

            // with_content=false (what the SDK sends) gives an empty payload object.
            let bare = try await api.post(
                "/api/v1/app/app1/msg?with_content=false",
                #"{"eventType":"x","payload":{"k":1}}"#
            )
            try bare.expect(.accepted)
            #expect(try bare.json()["payload"] == .object([:]))
        }
    }

    @Test(arguments: TestBackend.available)

    func getByIdOrEventId(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let app = try await api.createApp(uid: "app1")
            let created = try await api.post(
                "/api/v1/app/app1/msg",
                #"{"eventType":"a.b","payload":{"x":1},"eventId":"order-42"}"#
            )
            try created.expect(.accepted)
            let message = try created.json()
            for path in ["/api/v1/app/app1/msg/order-42", "/api/v1/app/\(app.id)/msg/\(message.id)"] {
                let got = try await api.get(path)
                try got.expect(.ok)
                #expect(try got.json() == message)
            }
            let bare = try await api.get("/api/v1/app/app1/msg/order-42?with_content=false")
            #expect(try bare.json()["payload"] == .object([:]))
            try await api.get("/api/v1/app/app1/msg/order-43").expectError(.notFound, code: "not_found")
            // Messages are scoped to their application.
            try await api.createApp(uid: "app2")
            try await api.get("/api/v1/app/app2/msg/order-42").expectError(.notFound)
        }
    }

    @Test(arguments: TestBackend.available)

    func duplicateEventIdIs409(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            try await api.createApp(uid: "app2")
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"a","payload":{},"eventId":"once"}"#).expect(
                .accepted
            )
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"b","payload":{"x":2},"eventId":"once"}"#)
                .expectError(.conflict)
            // eventIds are unique per application only.
            try await api.post("/api/v1/app/app2/msg", #"{"eventType":"a","payload":{},"eventId":"once"}"#).expect(
                .accepted
            )
            let list = try await api.get("/api/v1/app/app1/msg")
            #expect(try list.json().ids.count == 1)
        }
    }

    @Test(arguments: TestBackend.available)

    func validation(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let path = "/api/v1/app/app1/msg"
            try await api.post(path, #"{"payload":{}}"#).expectValidation(loc: ["body", "eventType"])
            try await api.post(path, #"{"eventType":"a"}"#).expectValidation(loc: ["body", "payload"])
            try await api.post(path, #"{"eventType":"a","payload":[1]}"#).expectValidation(loc: ["body", "payload"])
            try await api.post(path, #"{"eventType":"a","payload":"text"}"#).expectValidation(loc: ["body", "payload"])
            try await api.post(path, #"{"eventType":"bad type","payload":{}}"#).expectValidation(loc: [
                "body", "eventType",
            ])
            try await api.post(path, #"{"eventType":"a","payload":{},"eventId":"msg_123"}"#).expectValidation(loc: [
                "body", "eventId",
            ])
            try await api.post(path, #"{"eventType":"a","payload":{},"channels":[]}"#).expectValidation(loc: [
                "body", "channels",
            ])
            try await api.post(path, #"{"eventType":"a","payload":{},"payloadRetentionPeriod":0}"#)
                .expectValidation(loc: ["body", "payloadRetentionPeriod"])
            // A number that is no integer names its field (JSONDecoder called the whole body malformed JSON).
            try await api.post(path, #"{"eventType":"a","payload":{},"payloadRetentionPeriod":7.5}"#)
                .expectValidation(loc: ["body", "payloadRetentionPeriod"])
            try await api.post(path, #"{"eventType":"a","payload":{},"channels":["a",1]}"#)
                .expectValidation(loc: ["body", "channels", "1"])
            try await api.post("/api/v1/app/nope/msg", #"{"eventType":"a","payload":{}}"#).expectError(.notFound)
            let list = try await api.get(path)
            #expect(try list.json().ids.isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)

    func createsTheApplicationWhenAsked(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.post(
                "/api/v1/app/new-app/msg",
                #"{"eventType":"a","payload":{},"application":{"name":"New","uid":"other"}}"#
            )
            .expectValidation(loc: ["body", "application", "uid"])
            try await api.post(
                "/api/v1/app/new-app/msg",
                #"{"eventType":"a","payload":{},"application":{"name":"New","uid":"new-app"}}"#
            )
            .expect(.accepted)
            let app = try await api.get("/api/v1/app/new-app")
            try app.expect(.ok)
            #expect(try app.json()["name"]?.string == "New")
        }
    }

    /// Deliveries are queued for matching, enabled endpoints only (reference §7.1).
    @Test(arguments: TestBackend.available)
    func fanOutWritesDeliveriesForMatchingEndpointsOnly(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            try await api.createApp(uid: "app1")
            try await api.createApp(uid: "app2")
            try await api.createEventType("a.b")
            try await api.createEventType("c.d")
            func endpoint(_ json: String) async throws -> String { try await api.createEndpoint(app: "app1", json).id }
            let all = try await endpoint(#"{"url":"https://example.com/all"}"#)
            let ab = try await endpoint(#"{"url":"https://example.com/ab","eventTypes":["a.b"]}"#)
            let cd = try await endpoint(#"{"url":"https://example.com/cd","eventTypes":["c.d"]}"#)
            let disabled = try await endpoint(#"{"url":"https://example.com/off","disabled":true}"#)
            let channel = try await endpoint(#"{"url":"https://example.com/ch","channels":["ch1"]}"#)
            let abChannel = try await endpoint(
                #"{"url":"https://example.com/abch","eventTypes":["a.b"],"channels":["ch1"]}"#
            )
            let deleted = try await endpoint(#"{"url":"https://example.com/gone"}"#)
            try await api.delete("/api/v1/app/app1/endpoint/\(deleted)").expect(.noContent)
            let elsewhere = try await api.createEndpoint(app: "app2", #"{"url":"https://example.com/app2"}"#).id

            func counts() async throws -> [String: Int] {
                var result: [String: Int] = [:]
                for (name, id) in [
                    ("all", all), ("ab", ab), ("cd", cd), ("disabled", disabled), ("channel", channel),
                    ("abChannel", abChannel), ("deleted", deleted), ("elsewhere", elsewhere),
                ] {
                    result[name] = try await pendingDeliveries(store, endpoint: id)
                }
                return result
            }
            let zero = [
                "all": 0, "ab": 0, "cd": 0, "disabled": 0, "channel": 0, "abChannel": 0, "deleted": 0, "elsewhere": 0,
            ]
            #expect(try await counts() == zero)

            // a.b without channels: endpoints with a channel filter do not get it.
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"a.b","payload":{}}"#).expect(.accepted)
            var expected = zero.merging(["all": 1, "ab": 1]) { $1 }
            #expect(try await counts() == expected)

            // a.b on ch1 and ch2: also the channel endpoints.
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"a.b","payload":{},"channels":["ch2","ch1"]}"#)
                .expect(.accepted)
            expected = zero.merging(["all": 2, "ab": 2, "channel": 1, "abChannel": 1]) { $1 }
            #expect(try await counts() == expected)

            // c.d on ch2 only.
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"c.d","payload":{},"channels":["ch2"]}"#).expect(
                .accepted
            )
            expected = zero.merging(["all": 3, "ab": 2, "cd": 1, "channel": 1, "abChannel": 1]) { $1 }
            #expect(try await counts() == expected)

            // An event type nobody registered is accepted (svix-server does not check it) and reaches unfiltered
            // endpoints.
            try await api.post(
                "/api/v1/app/app1/msg",
                #"{"eventType":"un.registered","payload":{},"channels":["ch1"]}"#
            ).expect(.accepted)
            expected = zero.merging(["all": 4, "ab": 2, "cd": 1, "channel": 2, "abChannel": 1]) { $1 }
            #expect(try await counts() == expected)

            // Re-enabling an endpoint affects only later messages.
            try await api.patch("/api/v1/app/app1/endpoint/\(disabled)", #"{"disabled":false}"#).expect(.ok)
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"c.d","payload":{}}"#).expect(.accepted)
            expected = zero.merging(["all": 5, "ab": 2, "cd": 2, "disabled": 1, "channel": 2, "abChannel": 1]) { $1 }
            #expect(try await counts() == expected)

            // The stats route reports the same.
            let stats = try await api.get("/api/v1/app/app1/endpoint/\(all)/stats")
            try stats.expect(.ok)
            #expect(try stats.json()["pending"]?.int == 5)
        }
    }

    @Test(arguments: TestBackend.available)

    func deletingTheApplicationCancelsQueuedDeliveries(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            try await api.createApp(uid: "app1")
            let endpoint = try await api.createEndpoint(app: "app1", #"{"url":"https://example.com"}"#)
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"a","payload":{}}"#).expect(.accepted)
            try await api.delete("/api/v1/app/app1").expect(.noContent)
            #expect(try await deliveryCounts(store, endpoint: endpoint.id) == [.canceled: 1])
        }
    }

    @Test(arguments: TestBackend.available)

    func deletingAnEndpointCancelsItsQueuedDeliveries(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            try await api.createApp(uid: "app1")
            let kept = try await api.createEndpoint(app: "app1", #"{"url":"https://example.com/kept"}"#)
            let gone = try await api.createEndpoint(app: "app1", #"{"url":"https://example.com/gone"}"#)
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"a","payload":{}}"#).expect(.accepted)
            try await api.delete("/api/v1/app/app1/endpoint/\(gone.id)").expect(.noContent)
            #expect(try await deliveryCounts(store, endpoint: gone.id) == [.canceled: 1])
            #expect(try await deliveryCounts(store, endpoint: kept.id) == [.pending: 1])
        }
    }

    @Test(arguments: TestBackend.available)

    func listTimeWindow(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            // A second before any message: safely outside the 4 ms id bucket of the first one.
            let start = Timestamp.now.adding(seconds: -1)
            var created: [String] = []
            for index in 0..<3 {
                created.append(
                    try await api.post("/api/v1/app/app1/msg", #"{"eventType":"a","payload":{"n":\#(index)}}"#).json()
                        .id
                )
            }
            let later = Timestamp.now.adding(seconds: 60)
            let path = "/api/v1/app/app1/msg"
            // The three spellings the SDKs use: Z, an offset (URL-encoded), and none (UTC).
            for text in [
                later.description, later.description.dropLast() + "%2B00:00", String(later.description.dropLast()),
            ] {
                #expect(Set(try await api.get("\(path)?before=\(text)").json().ids) == Set(created), "\(text)")
            }
            #expect(try await api.get("\(path)?before=\(start)").json().ids == [])
            #expect(try await api.get("\(path)?after=\(later)").json().ids == [])
            #expect(try await api.get("\(path)?after=\(start)").json().ids == created.sorted().reversed())
            // after= pages from the oldest messages, each page shown newest first.
            let oldest = try await api.get("\(path)?after=\(start)&limit=2").json()
            #expect(oldest.ids == Array(created.sorted().prefix(2).reversed()))
        }
    }

    @Test(arguments: TestBackend.available)

    func listFilters(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let path = "/api/v1/app/app1/msg"
            let ab = try await api.post(path, #"{"eventType":"a.b","payload":{"n":1},"channels":["x"]}"#).json().id
            let cd = try await api.post(path, #"{"eventType":"c.d","payload":{"n":2},"channels":["y"]}"#).json().id
            let ef = try await api.post(path, #"{"eventType":"e.f","payload":{"n":3}}"#).json().id

            #expect(Set(try await api.get(path).json().ids) == [ab, cd, ef])
            #expect(Set(try await api.get("\(path)?event_types=a.b,c.d").json().ids) == [ab, cd])
            #expect(Set(try await api.get("\(path)?event_types=a.b&event_types=e.f").json().ids) == [ab, ef])
            #expect(try await api.get("\(path)?channel=y").json().ids == [cd])
            #expect(try await api.get("\(path)?channel=z").json().ids == [])
            let bare = try await api.get("\(path)?with_content=false").json()
            #expect(bare["data"]?.array?.allSatisfy { $0["payload"] == .object([:]) } == true)
            // Unknown query parameters are ignored.
            try await api.get("\(path)?expanded_statuses=true&tag=x").expect(.ok)
        }
    }
}
