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

@Suite struct ErrorAPITests {
    @Test(arguments: TestBackend.available)
    func malformedJSONIs422WithABodyLocation(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            // Trailing commas too: Foundation's JSONDecoder takes `{"name":"x",}`, svix-server answers 422.
            for body in [
                "{not json", "", "[1,2", #"{"name":"x""#, "null", "[]", #"{"name":"x"} trailing"#, #"{"name":"x",}"#,
                #"{"name":"x","metadata":{"a":"b",}}"#,
            ] {
                let response = try await api.post("/api/v1/app", body)
                #expect(response.status == .unprocessableContent, "request body \(body) gave \(response.text)")
                let entries = try response.expectValidation()
                let loc = try #require(entries.first?.loc, "\(body)")
                #expect(loc.first == "body", "\(body): \(response.text)")
            }
            let entries = try await api.post("/api/v1/app", "{not json").expectValidation(loc: ["body"])
            #expect(entries.first?["type"]?.string == "value_error.jsondecode")
            let list = try await api.get("/api/v1/app")
            #expect(try list.json().ids.isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)

    func wrongTypesNameTheField(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let name = try await api.post("/api/v1/app", #"{"name":5}"#).expectValidation(loc: ["body", "name"])
            #expect(name.first?["type"]?.string == "type_error")
            try await api.post("/api/v1/app", #"{"name":"x","metadata":{"k":1}}"#).expectValidation(loc: [
                "body", "metadata", "k",
            ])
            try await api.post("/api/v1/app", #"{"name":"x","throttleRate":"fast"}"#).expectValidation(loc: [
                "body", "throttleRate",
            ])
            try await api.post("/api/v1/app", #"{"name":null}"#).expectValidation(loc: ["body", "name"])
            try await api.post("/api/v1/app/app1/endpoint", #"{"url":"https://example.com","channels":[1]}"#)
                .expectValidation(loc: ["body", "channels", "0"])
            try await api.post("/api/v1/app/app1/endpoint", #"{"url":"https://example.com","disabled":"yes"}"#)
                .expectValidation(loc: ["body", "disabled"])
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":7,"payload":{}}"#).expectValidation(loc: [
                "body", "eventType",
            ])
            try await api.patch("/api/v1/app/app1", #"{"name":[]}"#).expectValidation(loc: ["body", "name"])
            let missing = try await api.post("/api/v1/app", #"{}"#).expectValidation(loc: ["body", "name"])
            #expect(missing.first?["type"]?.string == "value_error.missing")
        }
    }

    @Test(arguments: TestBackend.available)

    func bodyOverTheLimitIs413(_ backend: TestBackend) async throws {
        try await withServer(backend, maxBody: 1024) { api, _ in
            // Just under the limit is fine.
            let padding = String(repeating: "x", count: 900)
            try await api.post("/api/v1/app", #"{"name":"small","metadata":{"p":"\#(padding)"}}"#).expect(.created)
            let big = String(repeating: "y", count: 2000)
            let response = try await api.post("/api/v1/app", #"{"name":"big","metadata":{"p":"\#(big)"}}"#)
            try response.expectError(.contentTooLarge, code: "payload_too_large")
        }
    }

    @Test(arguments: TestBackend.available)

    func bodyOverTheLimitCreatesNothing(_ backend: TestBackend) async throws {
        try await withServer(backend, maxBody: 256) { api, store in
            let app = try await api.createApp(uid: "app1")
            let big = String(repeating: "z", count: 1000)
            try await api.post("/api/v1/app/app1/msg", #"{"eventType":"a","payload":{"p":"\#(big)"}}"#)
                .expectError(.contentTooLarge)
            let appID = try #require(ApplicationID(rawValue: app.id))
            let messages = try await store.listMessages(
                app: appID,
                filter: MessageFilter(),
                range: ListRange(order: .descending, limit: 10)
            )
            #expect(messages.isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)

    func unknownRouteIs404JSON(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.get("/api/v1/nope").expectError(.notFound, code: "not_found")
            try await api.get("/api/v1/nope", token: nil).expectError(.notFound)
            try await api.get("/nowhere").expectError(.notFound)
            try await api.post("/api/v1/app/x/y/z", "{}").expectError(.notFound)
        }
    }

    @Test(arguments: TestBackend.available)

    func wrongMethodIs405JSON(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let response = try await api.delete("/api/v1/app")
            try response.expectError(.methodNotAllowed, code: "method_not_allowed")
            #expect(response.headers[.allow] == "GET, POST")
            try await api.send(.patch, "/api/v1/app/app1/msg", json: "{}").expectError(.methodNotAllowed)
            try await api.send(.post, "/api/v1/health", json: "{}", token: nil).expectError(.methodNotAllowed)
            let secret = try await api.send(.put, "/api/v1/app/a/endpoint/e/secret", json: "{}")
            try secret.expectError(.methodNotAllowed)
            #expect(secret.headers[.allow] == "GET")
        }
    }

    /// svix-server trims a trailing slash before routing (reference §0.3).
    @Test(arguments: TestBackend.available)
    func trailingSlashIsIgnored(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.get("/api/v1/app/").expect(.ok)
            try await api.post("/api/v1/app/", #"{"name":"slash"}"#).expect(.created)
        }
    }

    @Test(arguments: TestBackend.available)

    func healthAnswersHeadAndLogoutAnswers204(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let head = try await api.send(.head, "/api/v1/health", token: nil)
            try head.expect(.ok)
            #expect(head.text.isEmpty)
            try await api.send(.head, "/api/v1/health/ping", token: nil).expect(.noContent)
            try await api.send(.post, "/api/v1/auth/logout").expect(.noContent)
            try await api.send(.post, "/api/v1/auth/logout", token: nil).expectError(.unauthorized)
        }
    }

    /// A PUT whose path names nothing creates, so its path must at least be a valid id or uid (422 otherwise).
    @Test(arguments: TestBackend.available)
    func upsertPathsMustBeIdentifiers(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.put("/api/v1/app/a%20b", #"{"name":"x"}"#).expectValidation(loc: ["path", "app_id"])
            try await api.createApp(uid: "app1")
            try await api.put("/api/v1/app/app1/endpoint/a%2Cb", #"{"url":"https://example.com"}"#)
                .expectValidation(loc: ["path", "endpoint_id"])
            #expect(try await api.get("/api/v1/app").json().ids.count == 1)
            try await api.put("/api/v1/app/new-app", #"{"name":"x"}"#).expect(.created)
        }
    }

    @Test(arguments: TestBackend.available)
    func openAPIDocumentIsServed(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let response = try await api.get("/openapi.json", token: nil)
            try response.expect(.ok)
            #expect(try response.json()["paths"]?.object?["/api/v1/app"] != nil)
        }
    }
}
