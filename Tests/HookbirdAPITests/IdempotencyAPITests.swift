//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdAPI
import HookbirdHTTP
import HookbirdOperations
import HookbirdCore
import HookbirdStorage
import HookbirdTesting
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct IdempotencyAPITests {
    /// An `Idempotency-Key` header.
    static func key(_ value: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[.init("Idempotency-Key")!] = value
        return fields
    }

    static let replayed = HTTPFields.Element.Name("Idempotent-Replayed")!

    @Test(arguments: TestBackend.available)

    func replaysTheFirstResponseAndCreatesOnce(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let path = "/api/v1/app/app1/msg"
            let body = #"{"eventType":"a","payload":{"n":1}}"#
            let first = try await api.post(path, body, headers: Self.key("key-1"))
            try first.expect(.accepted)
            let second = try await api.post(path, body, headers: Self.key("key-1"))
            try second.expect(.accepted)
            #expect(second.text == first.text, "replayed byte for byte")
            #expect(try second.json().id == first.json().id)
            #expect(second.headers[.contentType] == "application/json")
            // A replay says so; the first answer does not.
            #expect(first.headers[Self.replayed] == nil)
            #expect(second.headers[Self.replayed] == "true")
            // Even with another body, the key replays the first answer.
            let third = try await api.post(path, #"{"eventType":"b","payload":{}}"#, headers: Self.key("key-1"))
            #expect(third.status == .accepted && third.text == first.text)

            #expect(try await api.get(path).json().ids == [first.json().id])

            // Another key, or no key, creates another message.
            let other = try await api.post(path, body, headers: Self.key("key-2"))
            try other.expect(.accepted)
            #expect(try other.json().id != first.json().id)
            try await api.post(path, body).expect(.accepted)
            #expect(try await api.get(path).json().ids.count == 3)
        }
    }

    /// A repeat whose cached answer is gone (after 12 hours, or lost in a crash before it was kept) finds the
    /// message stored with the key and is answered as a replay as well.
    @Test(arguments: TestBackend.available)
    func aRepeatAfterTheCachedAnswerFindsTheMessage(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            try await api.createApp(uid: "app1")
            let path = "/api/v1/app/app1/msg"
            let body = #"{"eventType":"a","payload":{"n":1}}"#
            let first = try await api.post(path, body, headers: Self.key("late"))
            try first.expect(.accepted)
            // Forget the cached answer: take the key over as an expired one would be, then let it go.
            let cacheKey = Digest.sha256Hex(Array("Bearer \(API.adminToken):late:\(path)".utf8))
            let later = Timestamp.now.adding(seconds: 13 * 3600)
            #expect(try await store.acquireIdempotencyKey(cacheKey, now: later, lockTimeout: .seconds(5)) == .acquired)
            try await store.releaseIdempotencyKey(cacheKey)

            let again = try await api.post(path, body, headers: Self.key("late"))
            try again.expect(.accepted)
            #expect(again.headers[Self.replayed] == "true")
            #expect(try again.json().id == first.json().id)
            #expect(try await api.get(path).json().ids.count == 1)
        }
    }

    /// A message keeps its key in its own transaction: the cache is not written (the key is still free in it), and a
    /// repeat is answered from the message, even with a body that would be refused.
    @Test(arguments: TestBackend.available)
    func aMessageKeepsItsKeyInItsOwnTransaction(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, store in
            try await api.createApp(uid: "app1")
            let path = "/api/v1/app/app1/msg"
            let body = #"{"eventType":"a","eventId":"evt-1","payload":{"n":1}}"#
            let first = try await api.post(path, body, headers: Self.key("own"))
            try first.expect(.accepted)
            let cacheKey = Digest.sha256Hex(Array("Bearer \(API.adminToken):own:\(path)".utf8))
            #expect(try await store.acquireIdempotencyKey(cacheKey, now: .now, lockTimeout: .seconds(5)) == .acquired)
            try await store.releaseIdempotencyKey(cacheKey)

            // The same body (its event id taken, by the first) and a malformed one: both replayed.
            for repeatBody in [body, #"{"eventType":"#] {
                let again = try await api.post(path, repeatBody, headers: Self.key("own"))
                try again.expect(.accepted)
                #expect(again.text == first.text, "replayed byte for byte")
                #expect(again.headers[Self.replayed] == "true")
            }
            // Without the key, the event id still conflicts, and a malformed body is still refused.
            try await api.post(path, body).expectError(.conflict)
            #expect(try await api.post(path, #"{"eventType":"#).status == .unprocessableContent)
            #expect(try await api.get(path).json().ids == [first.json().id])
        }
    }

    /// A repeat that arrives while the first request runs waits for it and gets its answer (the SDK retrying a
    /// request that timed out on its side).
    @Test(arguments: TestBackend.available)
    func concurrentRepeatsCreateOnce(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let path = "/api/v1/app/app1/msg"
            let body = #"{"eventType":"a","payload":{"n":1}}"#
            let port = try #require(api.client.port)
            var clients: [TestClient] = []
            for _ in 0..<3 {
                let client = TestClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(30)))
                client.connect()
                clients.append(client)
            }
            var headers = Self.key("race")
            headers[.authorization] = "Bearer \(API.adminToken)"
            headers[.contentType] = "application/json"
            let request = TestClient.Request(
                path,
                method: .post,
                authority: "localhost",
                headers: headers,
                body: ByteBuffer(string: body)
            )
            let bodies = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for client in clients {
                    group.addTask {
                        let response = try await client.execute(request)
                        return (response.status, response.body.map { String(buffer: $0) } ?? "")
                    }
                }
                group.addTask {
                    let response = try await api.post(path, body, headers: Self.key("race"))
                    return (response.status, response.text)
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for client in clients { try await client.shutdown() }
            #expect(bodies.count == 4)
            #expect(bodies.allSatisfy { $0.0 == .accepted }, "\(bodies)")
            #expect(Set(bodies.map(\.1)).count == 1, "every caller gets the same answer: \(bodies)")
            #expect(try await api.get(path).json().ids.count == 1)
        }
    }

    @Test(arguments: TestBackend.available)

    func keysAreScopedToPathAndToken(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            try await api.createApp(uid: "app2")
            let body = #"{"eventType":"a","payload":{}}"#
            let one = try await api.post("/api/v1/app/app1/msg", body, headers: Self.key("same"))
            let two = try await api.post("/api/v1/app/app2/msg", body, headers: Self.key("same"))
            try one.expect(.accepted)
            try two.expect(.accepted)
            #expect(try one.json().id != two.json().id)

            let jwt = try await Authenticator.makeToken(secret: API.jwtSecret, org: .default)
            let viaJWT = try await api.post("/api/v1/app/app1/msg", body, token: jwt, headers: Self.key("same"))
            try viaJWT.expect(.accepted)
            #expect(try viaJWT.json().id != one.json().id)
            #expect(try await api.get("/api/v1/app/app1/msg").json().ids.count == 2)
        }
    }

    @Test(arguments: TestBackend.available)

    func applicationCreateIsReplayedWith201(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let first = try await api.post("/api/v1/app", #"{"name":"Once"}"#, headers: Self.key("auto_123"))
            try first.expect(.created)
            let second = try await api.post("/api/v1/app", #"{"name":"Once"}"#, headers: Self.key("auto_123"))
            try second.expect(.created)
            #expect(second.text == first.text)
            #expect(try await api.get("/api/v1/app").json().ids.count == 1)
        }
    }

    @Test(arguments: TestBackend.available)

    func errorsAreNotKept(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let bad = try await api.post("/api/v1/app", #"{"name":""}"#, headers: Self.key("retry-me"))
            try bad.expectValidation(loc: ["body", "name"])
            // The retry with the same key runs again.
            let good = try await api.post("/api/v1/app", #"{"name":"Fixed"}"#, headers: Self.key("retry-me"))
            try good.expect(.created)
            #expect(try good.json()["name"]?.string == "Fixed")
            let conflict = try await api.post("/api/v1/app", #"{"name":"Dup","uid":"u"}"#)
            try conflict.expect(.created)
            try await api.post("/api/v1/app", #"{"name":"Dup","uid":"u"}"#, headers: Self.key("k409")).expectError(
                .conflict
            )
            try await api.delete("/api/v1/app/u").expect(.noContent)
            try await api.post("/api/v1/app", #"{"name":"Dup","uid":"u"}"#, headers: Self.key("k409")).expect(.created)
        }
    }

    @Test(arguments: TestBackend.available)

    func onlyPostIsIdempotent(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            // PATCH with a key runs every time.
            for name in ["One", "Two"] {
                let response = try await api.send(
                    .patch,
                    "/api/v1/app/app1",
                    json: #"{"name":"\#(name)"}"#,
                    headers: Self.key("patch-key")
                )
                try response.expect(.ok)
                #expect(try response.json()["name"]?.string == name)
            }
        }
    }
}
