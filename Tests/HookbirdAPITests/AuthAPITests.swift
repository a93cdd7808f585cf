//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdAPI
import HookbirdHTTP
import HookbirdOperations
import HookbirdCore
import HookbirdTesting
import Hummingbird
import Testing

@Suite struct AuthAPITests {
    @Test(arguments: TestBackend.available)
    func healthNeedsNoToken(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let health = try await api.get("/api/v1/health", token: nil)
            try health.expect(.ok)
            #expect(health.headers[.contentType] == "application/json")
            #expect(try health.json()["status"]?.string == "ok")
            let ping = try await api.get("/api/v1/health/ping", token: nil)
            try ping.expect(.noContent)
            #expect(ping.body.readableBytes == 0)
        }
    }

    @Test(arguments: TestBackend.available)

    func missingOrWrongTokenIs401(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.get("/api/v1/app", token: nil).expectError(.unauthorized, code: "authentication_failed")
            try await api.get("/api/v1/app", token: "wrong-token").expectError(
                .unauthorized,
                code: "authentication_failed"
            )
            try await api.get("/api/v1/app", token: "").expectError(.unauthorized)
            // A scheme other than Bearer.
            try await api.send(.get, "/api/v1/app", token: nil, headers: [.authorization: "Basic dGVzdC10b2tlbg=="])
                .expectError(.unauthorized)
            try await api.send(.get, "/api/v1/app", token: nil, headers: [.authorization: "test-token"])
                .expectError(.unauthorized)
            // Writes are refused too, and nothing is created.
            try await api.post("/api/v1/app", #"{"name":"x"}"#, token: nil).expectError(.unauthorized)
            try await api.post("/api/v1/app", #"{"name":"x"}"#, token: "nope").expectError(.unauthorized)
            let list = try await api.get("/api/v1/app")
            try list.expect(.ok)
            #expect(try list.json().ids.isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)

    func bearerSchemeIsCaseInsensitive(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.send(.get, "/api/v1/app", token: nil, headers: [.authorization: "bearer test-token"]).expect(
                .ok
            )
        }
    }

    @Test(arguments: TestBackend.available)

    func jwtSecretItselfIsNotAToken(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.get("/api/v1/app", token: API.jwtSecret).expectError(.unauthorized)
        }
    }

    @Test(arguments: TestBackend.available)

    func tokensSignedWithAnotherSecretAreRefused(_ backend: TestBackend) async throws {
        let forged = try await Authenticator.makeToken(secret: "another-secret-0123456789abcdefghijk", org: .default)
        try await withServer(backend) { api, _ in
            try await api.get("/api/v1/app", token: forged).expectError(.unauthorized)
            // A tampered signature.
            let genuine = try await Authenticator.makeToken(secret: API.jwtSecret, org: .default)
            try await api.get("/api/v1/app", token: String(genuine.dropLast(2)) + "AA").expectError(.unauthorized)
        }
    }

    @Test(arguments: TestBackend.available)

    func organizationJWTWorks(_ backend: TestBackend) async throws {
        let token = try await Authenticator.makeToken(secret: API.jwtSecret, org: .default)
        try await withServer(backend) { api, _ in
            // The admin token acts for the default organisation, so both see the same applications.
            let app = try await api.createApp(uid: "shared")
            let viaJWT = try await api.get("/api/v1/app/shared", token: token)
            try viaJWT.expect(.ok)
            #expect(try viaJWT.json().id == app.id)
            let created = try await api.post("/api/v1/app", #"{"name":"by jwt"}"#, token: token)
            try created.expect(.created)
            let list = try await api.get("/api/v1/app")
            #expect(Set(try list.json().ids) == [app.id, try created.json().id])
        }
    }

    @Test(arguments: TestBackend.available)

    func organizationsAreIsolated(_ backend: TestBackend) async throws {
        let org = try #require(OrganizationID(rawValue: "org_other_tenant"))
        let other = try await Authenticator.makeToken(secret: API.jwtSecret, org: org)
        try await withServer(backend) { api, _ in
            let app = try await api.createApp(uid: "mine")
            try await api.get("/api/v1/app/\(app.id)", token: other).expectError(.notFound, code: "not_found")
            try await api.get("/api/v1/app/mine", token: other).expectError(.notFound)
            let list = try await api.get("/api/v1/app", token: other)
            try list.expect(.ok)
            #expect(try list.json().ids.isEmpty)
            // The same uid is free in the other organisation.
            try await api.post("/api/v1/app", #"{"name":"theirs","uid":"mine"}"#, token: other).expect(.created)
            try await api.post("/api/v1/app/\(app.id)/msg", #"{"eventType":"a","payload":{}}"#, token: other)
                .expectError(.notFound)
        }
    }

    @Test(arguments: TestBackend.available)

    func appScopedTokenSeesOnlyItsApplication(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let own = try await api.createApp(name: "Own", uid: "own-app")
            let other = try await api.createApp(name: "Other", uid: "other-app")
            let ownID = try #require(ApplicationID(rawValue: own.id))
            let token = try await Authenticator.makeToken(secret: API.jwtSecret, org: .default, app: ownID)

            // Its own application, by id or uid.
            try await api.get("/api/v1/app/\(own.id)", token: token).expect(.ok)
            try await api.get("/api/v1/app/own-app", token: token).expect(.ok)
            // Another application of the same organisation does not exist for it.
            try await api.get("/api/v1/app/\(other.id)", token: token).expectError(.notFound, code: "not_found")
            try await api.get("/api/v1/app/other-app", token: token).expectError(.notFound)
            try await api.get("/api/v1/app/\(other.id)/endpoint", token: token).expectError(.notFound)
            try await api.post("/api/v1/app/\(other.id)/endpoint", #"{"url":"https://example.com/x"}"#, token: token)
                .expectError(.notFound)

            // Organisation-only routes answer 403.
            try await api.post("/api/v1/app", #"{"name":"sneaky"}"#, token: token)
                .expectError(.forbidden, code: "insufficient access")
            try await api.post("/api/v1/app/\(own.id)/msg", #"{"eventType":"a","payload":{}}"#, token: token)
                .expectError(.forbidden)
            try await api.put("/api/v1/app/\(own.id)", #"{"name":"renamed"}"#, token: token).expectError(.forbidden)
            try await api.patch("/api/v1/app/\(own.id)", #"{"name":"renamed"}"#, token: token).expectError(.forbidden)
            try await api.delete("/api/v1/app/\(own.id)", token: token).expectError(.forbidden)
            try await api.post("/api/v1/event-type", #"{"name":"a.b","description":""}"#, token: token)
                .expectError(.forbidden)

            // Endpoint routes of its own application are allowed, and event types can be read.
            try await api.post("/api/v1/app/\(own.id)/endpoint", #"{"url":"https://example.com/x"}"#, token: token)
                .expect(.created)
            try await api.get("/api/v1/app/\(own.id)/endpoint", token: token).expect(.ok)
            try await api.get("/api/v1/app/\(own.id)/msg", token: token).expect(.ok)
            try await api.get("/api/v1/event-type", token: token).expect(.ok)

            // Nothing was changed by the refused calls.
            let after = try await api.get("/api/v1/app/\(own.id)")
            #expect(try after.json()["name"]?.string == "Own")
            let apps = try await api.get("/api/v1/app")
            #expect(try apps.json().ids.count == 2)
        }
    }
}
