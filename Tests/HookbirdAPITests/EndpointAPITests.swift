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

@Suite struct EndpointAPITests {
    /// Hookbird's extension: an endpoint's own limit of requests in flight, stored and shown, changed by PUT and
    /// PATCH (null: the server's), checked (1 to 10 000), and handed to the delivery engine with the endpoint.
    @Test(arguments: TestBackend.available)
    func maxInFlightIsAnEndpointsOwnLimit(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            let app = try await api.createApp(uid: "limits")
            let endpoint = try await api.createEndpoint(
                app: "limits", #"{"url":"https://example.com/slow","uid":"slow","maxInFlight":4}"#
            )
            #expect(endpoint["maxInFlight"]?.int == 4)
            let appID = try #require(ApplicationID(rawValue: app.id))
            #expect(try await store.endpoint(app: appID, idOrUID: "slow")?.maxInFlight == 4)
            let patched = try await api.patch("/api/v1/app/limits/endpoint/slow", #"{"maxInFlight":2}"#)
            try patched.expect(.ok)
            #expect(try patched.json()["maxInFlight"]?.int == 2)
            let cleared = try await api.patch("/api/v1/app/limits/endpoint/slow", #"{"maxInFlight":null}"#)
            try cleared.expect(.ok)
            #expect(try cleared.json()["maxInFlight"] == nil)
            #expect(try await store.endpoint(app: appID, idOrUID: "slow")?.maxInFlight == nil)
            let put = try await api.put(
                "/api/v1/app/limits/endpoint/slow", #"{"url":"https://example.com/slow","uid":"slow","maxInFlight":10000}"#
            )
            try put.expect(.ok)
            #expect(try put.json()["maxInFlight"]?.int == 10000)
            for bad in ["0", "10001", "-1"] {
                let refused = try await api.patch("/api/v1/app/limits/endpoint/slow", #"{"maxInFlight":\#(bad)}"#)
                _ = try refused.expectValidation(loc: ["body", "maxInFlight"])
            }
            let created = try await api.post(
                "/api/v1/app/limits/endpoint", #"{"url":"https://example.com/x","maxInFlight":0}"#
            )
            _ = try created.expectValidation(loc: ["body", "maxInFlight"])
        }
    }

    @Test(arguments: TestBackend.available)
    func crud(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            let app = try await api.createApp(uid: "app1")
            try await api.createEventType("a.b")
            let endpoint = try await api.createEndpoint(
                app: "app1",
                #"{"url":"https://example.com/hook","uid":"ep1","description":"Main","#
                    + #""eventTypes":["a.b"],"channels":["c1"],"metadata":{"k":"v"}}"#
            )
            #expect(EndpointID(rawValue: endpoint.id) != nil, "\(endpoint.id)")
            #expect(endpoint["url"]?.string == "https://example.com/hook")
            #expect(endpoint["description"]?.string == "Main")
            #expect(endpoint["eventTypes"] == .array([.string("a.b")]))
            #expect(endpoint["channels"] == .array([.string("c1")]))
            #expect(endpoint["disabled"]?.bool == false)

            // By id or uid, through the app's id or uid.
            for path in ["/api/v1/app/app1/endpoint/ep1", "/api/v1/app/\(app.id)/endpoint/\(endpoint.id)"] {
                let got = try await api.get(path)
                try got.expect(.ok)
                #expect(try got.json().id == endpoint.id)
            }

            // The stored endpoint matches.
            let appID = try #require(ApplicationID(rawValue: app.id))
            let stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.id.rawValue == endpoint.id)
            #expect(stored.eventTypes == ["a.b"] && stored.channels == ["c1"])

            // PATCH: null clears the filters.
            let patched = try await api.patch(
                "/api/v1/app/app1/endpoint/ep1",
                #"{"eventTypes":null,"channels":null,"disabled":true}"#
            )
            try patched.expect(.ok)
            #expect(JSONValue.isAbsent(try patched.json()["eventTypes"]))
            #expect(JSONValue.isAbsent(try patched.json()["channels"]))
            #expect(try patched.json()["disabled"]?.bool == true)
            #expect(try patched.json()["description"]?.string == "Main")

            // PUT updates (200) an existing endpoint and creates (201) a missing one.
            let put = try await api.put(
                "/api/v1/app/app1/endpoint/ep1",
                #"{"url":"https://example.com/new","uid":"ep1"}"#
            )
            try put.expect(.ok)
            #expect(try put.json().id == endpoint.id)
            #expect(try put.json()["disabled"]?.bool == false)
            let putNew = try await api.put(
                "/api/v1/app/app1/endpoint/ep2",
                #"{"url":"https://example.com/2","uid":"ep2"}"#
            )
            try putNew.expect(.created)

            // DELETE: 204, then 404, and the uid can be used again.
            try await api.delete("/api/v1/app/app1/endpoint/ep1").expect(.noContent)
            try await api.get("/api/v1/app/app1/endpoint/ep1").expectError(.notFound)
            try await api.get("/api/v1/app/app1/endpoint/\(endpoint.id)").expectError(.notFound)
            try await api.delete("/api/v1/app/app1/endpoint/\(endpoint.id)").expectError(.notFound)
            let reused = try await api.createEndpoint(app: "app1", #"{"url":"https://example.com/3","uid":"ep1"}"#)
            #expect(reused.id != endpoint.id)
            try await api.post("/api/v1/app/app1/endpoint", #"{"url":"https://example.com/4","uid":"ep1"}"#)
                .expectError(.conflict)
            try await api.post("/api/v1/app/nope/endpoint", #"{"url":"https://example.com/4"}"#).expectError(.notFound)
        }
    }

    @Test(arguments: TestBackend.available)

    func validation(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let path = "/api/v1/app/app1/endpoint"
            try await api.post(path, #"{}"#).expectValidation(loc: ["body", "url"])
            try await api.post(path, #"{"url":"not a url"}"#).expectValidation(loc: ["body", "url"])
            try await api.post(path, #"{"url":"ftp://example.com/x"}"#).expectValidation(loc: ["body", "url"])
            try await api.post(path, #"{"url":"https://example.com","uid":"ep_1"}"#).expectValidation(loc: [
                "body", "uid",
            ])
            try await api.post(path, #"{"url":"https://example.com","eventTypes":[]}"#).expectValidation(loc: [
                "body", "eventTypes",
            ])
            try await api.post(path, #"{"url":"https://example.com","channels":[]}"#).expectValidation(loc: [
                "body", "channels",
            ])
            let eleven = (1...11).map { "\"c\($0)\"" }.joined(separator: ",")
            try await api.post(path, #"{"url":"https://example.com","channels":[\#(eleven)]}"#).expectValidation(loc: [
                "body", "channels",
            ])
            try await api.post(path, #"{"url":"https://example.com","channels":["a b"]}"#).expectValidation(loc: [
                "body", "channels", "0",
            ])
            try await api.post(path, #"{"url":"https://example.com","secret":"whsec_short"}"#).expectValidation(loc: [
                "body", "secret",
            ])
            let shortKey = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS="
            try await api.post(path, #"{"url":"https://example.com","secret":"\#(shortKey)"}"#)
                .expectValidation(loc: ["body", "secret"])
            let list = try await api.get(path)
            #expect(try list.json().ids.isEmpty)
            // As in Svix, the `whsec_` prefix may be left out; the secret is kept and shown with it.
            let created = try await api.post(
                path,
                #"{"url":"https://example.com","secret":"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#
            )
            try created.expect(.created)
            let id = try #require(try created.json()["id"]?.string)
            let key = try await api.get("\(path)/\(id)/secret").json()["key"]?.string
            #expect(key == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        }
    }

    @Test(arguments: TestBackend.available)

    func unknownOrArchivedEventTypesAre422(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            try await api.createEventType("known.type")
            try await api.createEventType("old.type")
            try await api.delete("/api/v1/event-type/old.type").expect(.noContent)
            let path = "/api/v1/app/app1/endpoint"

            let unknown = try await api.post(
                path,
                #"{"url":"https://example.com","eventTypes":["known.type","missing.type"]}"#
            )
            let entries = try unknown.expectValidation(loc: ["body", "eventTypes"])
            let message = try #require(entries.first?["msg"]?.string)
            #expect(message.contains("missing.type"))
            #expect(!message.contains("known.type"))

            try await api.post(path, #"{"url":"https://example.com","eventTypes":["old.type"]}"#)
                .expectValidation(loc: ["body", "eventTypes"])
            // The deprecated alias filterTypes is checked the same way.
            try await api.post(path, #"{"url":"https://example.com","filterTypes":["missing.type"]}"#)
                .expectValidation(loc: ["body", "eventTypes"])

            let endpoint = try await api.createEndpoint(
                app: "app1",
                #"{"url":"https://example.com","eventTypes":["known.type"]}"#
            )
            try await api.patch("\(path)/\(endpoint.id)", #"{"eventTypes":["missing.type"]}"#)
                .expectValidation(loc: ["body", "eventTypes"])
            try await api.put("\(path)/\(endpoint.id)", #"{"url":"https://example.com","eventTypes":["missing.type"]}"#)
                .expectValidation(loc: ["body", "eventTypes"])
        }
    }

    @Test(arguments: TestBackend.available)

    func secretGetAndRotateWithGrace(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            let app = try await api.createApp(uid: "app1")
            let appID = try #require(ApplicationID(rawValue: app.id))
            let original = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            let endpoint = try await api.createEndpoint(
                app: "app1",
                #"{"url":"https://example.com","uid":"ep1","secret":"\#(original)"}"#
            )
            #expect(endpoint["secret"] == nil, "the secret is not part of EndpointOut")
            let path = "/api/v1/app/app1/endpoint/ep1"

            let secret = try await api.get("\(path)/secret")
            try secret.expect(.ok)
            #expect(try secret.json()["key"]?.string == original)

            // Rotate with the SDK's empty object: a new generated key, the old one kept for 24 h.
            let before = Timestamp.now
            let rotated = try await api.post("\(path)/secret/rotate", "{}")
            let after = Timestamp.now
            try rotated.expect(.ok)
            let newKey = try #require(try rotated.json()["key"]?.string)
            #expect(newKey != original)
            let parsed = try #require(EndpointSecret(newKey))
            #expect(parsed.key.count == 24)
            #expect(try await api.get("\(path)/secret").json()["key"]?.string == newKey)

            var stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.secret.encoded == newKey)
            #expect(stored.retiredSecrets.count == 1)
            let retired = try #require(stored.retiredSecrets.first)
            #expect(retired.secret.encoded == original)
            #expect(
                before.adding(seconds: 86_400) <= retired.expiresAt
                    && retired.expiresAt <= after.adding(seconds: 86_400)
            )
            #expect(stored.signingSecrets(at: .now).map(\.encoded) == [newKey, original])

            // Rotate to a given key with no grace: the replaced key is not kept, the earlier one still is.
            let given = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
            let explicit = try await api.post("\(path)/secret/rotate", #"{"key":"\#(given)","gracePeriodSeconds":0}"#)
            try explicit.expect(.ok)
            #expect(try explicit.json()["key"]?.string == given)
            stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.secret.encoded == given)
            #expect(stored.retiredSecrets.map(\.secret.encoded) == [original])

            // Bad input.
            try await api.post("\(path)/secret/rotate", #"{"gracePeriodSeconds":604801}"#)
                .expectValidation(loc: ["body", "gracePeriodSeconds"])
            try await api.post("\(path)/secret/rotate", #"{"gracePeriodSeconds":-1}"#)
                .expectValidation(loc: ["body", "gracePeriodSeconds"])
            try await api.post("\(path)/secret/rotate", #"{"key":"whsec_nope"}"#).expectValidation(loc: ["body", "key"])
            #expect(try await api.get("\(path)/secret").json()["key"]?.string == given)

            // A body is required, as in Svix's spec and svix-server (`{}` for a generated key, grace 24 h).
            try await api.send(.post, "\(path)/secret/rotate").expectValidation(loc: ["body"])
            try await api.post("\(path)/secret/rotate", "{}").expect(.ok)
            stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.retiredSecrets.count == 2)

            // At most ten unexpired old secrets.
            for _ in 0..<8 { try await api.post("\(path)/secret/rotate", "{}").expect(.ok) }
            stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.retiredSecrets.count == 10)
            try await api.post("\(path)/secret/rotate", "{}").expectError(.badRequest, code: "limit_reached")
            // A zero-grace rotation adds no old secret, so it is still allowed.
            try await api.post("\(path)/secret/rotate", #"{"gracePeriodSeconds":0}"#).expect(.ok)

            try await api.get("/api/v1/app/app1/endpoint/nope/secret").expectError(.notFound)
        }
    }

    @Test(arguments: TestBackend.available)

    func headers(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            let app = try await api.createApp(uid: "app1")
            let appID = try #require(ApplicationID(rawValue: app.id))
            _ = try await api.createEndpoint(app: "app1", #"{"url":"https://example.com","uid":"ep1"}"#)
            let path = "/api/v1/app/app1/endpoint/ep1/headers"

            let empty = try await api.get(path)
            try empty.expect(.ok)
            #expect(try empty.json() == .object(["headers": .object([:]), "sensitive": .array([])]))

            try await api.put(path, #"{"headers":{"X-Foo":"1","Authorization":"Bearer s3cret","X-Api-Key":"k"}}"#)
                .expect(.noContent)
            let got = try await api.get(path)
            try got.expect(.ok)
            #expect(try got.json()["headers"] == .object(["X-Foo": .string("1")]))
            #expect(try got.json()["sensitive"] == .array([.string("Authorization"), .string("X-Api-Key")]))
            #expect(!got.text.contains("s3cret"))
            var stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.headers == ["X-Foo": "1", "Authorization": "Bearer s3cret", "X-Api-Key": "k"])

            // PATCH: set, replace case-insensitively, delete with deleteHeaders (SDK) and with null (svix-server).
            try await api.patch(path, #"{"headers":{"X-Bar":"2","x-foo":"3"},"deleteHeaders":["authorization"]}"#)
                .expect(.noContent)
            stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.headers == ["X-Bar": "2", "x-foo": "3", "X-Api-Key": "k"])
            try await api.patch(path, #"{"headers":{"X-Bar":null,"X-API-KEY":null}}"#).expect(.noContent)
            let afterPatch = try await api.get(path)
            #expect(
                try afterPatch.json()
                    == .object(["headers": .object(["x-foo": .string("3")]), "sensitive": .array([])])
            )

            // PUT replaces everything.
            try await api.put(path, #"{"headers":{"X-Only":"1"}}"#).expect(.noContent)
            stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.headers == ["X-Only": "1"])

            // Forbidden names and bad values are 422 and change nothing.
            try await api.put(path, #"{"headers":{"Content-Type":"text/plain"}}"#).expectValidation()
            try await api.put(path, #"{"headers":{"svix-id":"x"}}"#).expectValidation()
            try await api.put(path, #"{"headers":{"X-Amz-Date":"x"}}"#).expectValidation()
            try await api.patch(path, #"{"headers":{"bad name":"x"}}"#).expectValidation()
            try await api.put(path, #"{"headers":{"X-Long":"\#(String(repeating: "v", count: 4097))"}}"#)
                .expectValidation()
            try await api.put(path, #"{}"#).expectValidation(loc: ["body", "headers"])
            stored = try #require(try await store.endpoint(app: appID, idOrUID: "ep1"))
            #expect(stored.headers == ["X-Only": "1"])
        }
    }

    @Test(arguments: TestBackend.available)

    func statsCountDeliveries(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let endpoint = try await api.createEndpoint(app: "app1", #"{"url":"https://example.com"}"#)
            for _ in 0..<3 {
                try await api.post("/api/v1/app/app1/msg", #"{"eventType":"a","payload":{}}"#).expect(.accepted)
            }
            let stats = try await api.get("/api/v1/app/app1/endpoint/\(endpoint.id)/stats")
            try stats.expect(.ok)
            let body = try stats.json()
            for key in ["success", "pending", "sending", "fail", "canceled"] {
                #expect(body[key]?.int != nil, "\(key) missing in \(stats.text)")
            }
            let total = ["success", "pending", "sending", "fail", "canceled"].compactMap { body[$0]?.int }.reduce(0, +)
            #expect(total == 3)
            try await api.get("/api/v1/app/app1/endpoint/\(endpoint.id)/stats?until=2999-01-01T00:00:00Z")
                .expectError(.badRequest, code: "invalid_range")
        }
    }
}
