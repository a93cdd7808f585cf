//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdTesting
import Hummingbird
import Testing

@Suite struct ApplicationAPITests {
    @Test(arguments: TestBackend.available)
    func createReturnsTheApplication(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let before = Timestamp.now
            let response = try await api.post(
                "/api/v1/app",
                #"{"name":"Acme","uid":"acme","metadata":{"tier":"gold"},"throttleRate":100}"#
            )
            let after = Timestamp.now
            try response.expect(.created)
            #expect(response.headers[.contentType] == "application/json")
            let app = try response.json()
            #expect(ApplicationID(rawValue: app.id) != nil, "\(app.id)")
            #expect(app["name"]?.string == "Acme")
            #expect(app["uid"]?.string == "acme")
            #expect(app["metadata"] == .object(["tier": .string("gold")]))
            #expect(app["throttleRate"]?.int == 100)
            let createdAt = try #require(app["createdAt"]?.string)
            // RFC 3339 with six fractional digits and Z.
            #expect(
                createdAt.count == 27 && createdAt.hasSuffix("Z") && createdAt.dropFirst(19).first == ".",
                "\(createdAt)"
            )
            let created = try #require(Timestamp(iso8601: createdAt))
            #expect(before <= created && created <= after)
            #expect(app["updatedAt"]?.string == createdAt)
            // Metadata defaults to {}.
            let plain = try await api.createApp(name: "Plain")
            #expect(plain["metadata"] == .object([:]))
            #expect(JSONValue.isAbsent(plain["uid"]))
        }
    }

    @Test(arguments: TestBackend.available)

    func duplicateUIDAndGetIfExists(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let first = try await api.createApp(name: "First", uid: "acme")
            try await api.post("/api/v1/app", #"{"name":"Second","uid":"acme"}"#).expectError(
                .conflict,
                code: "conflict"
            )
            try await api.post("/api/v1/app?get_if_exists=false", #"{"name":"Second","uid":"acme"}"#)
                .expectError(.conflict)

            // get_if_exists returns the existing application unchanged, with 200.
            let existing = try await api.post("/api/v1/app?get_if_exists=true", #"{"name":"Second","uid":"acme"}"#)
            try existing.expect(.ok)
            #expect(try existing.json().id == first.id)
            #expect(try existing.json()["name"]?.string == "First")
            // …and creates it with 201 when it does not exist.
            let fresh = try await api.post("/api/v1/app?get_if_exists=true", #"{"name":"Fresh","uid":"fresh"}"#)
            try fresh.expect(.created)
            #expect(try fresh.json().id != first.id)

            let list = try await api.get("/api/v1/app")
            #expect(try list.json().ids.count == 2)
        }
    }

    @Test(arguments: TestBackend.available)

    func getByIdOrUID(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let app = try await api.createApp(uid: "by-uid")
            for key in [app.id, "by-uid"] {
                let response = try await api.get("/api/v1/app/\(key)")
                try response.expect(.ok)
                #expect(try response.json() == app)
            }
            try await api.get("/api/v1/app/nope").expectError(.notFound, code: "not_found")
            try await api.get("/api/v1/app/app_1srOrx2ZWZBpBUvZwXKQmoEYga2").expectError(.notFound)
        }
    }

    @Test(arguments: TestBackend.available)

    func putUpsertsCreatingThenUpdating(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let created = try await api.put(
                "/api/v1/app/not-there-yet",
                #"{"name":"Put","uid":"put-app","metadata":{"a":"1"}}"#
            )
            try created.expect(.created)
            let id = try created.json().id
            #expect(ApplicationID(rawValue: id) != nil)

            let updated = try await api.put("/api/v1/app/put-app", #"{"name":"Put 2","uid":"put-app"}"#)
            try updated.expect(.ok)
            let body = try updated.json()
            #expect(body.id == id)
            #expect(body["name"]?.string == "Put 2")
            #expect(body["metadata"] == .object([:]), "PUT replaces the whole application")

            // Full replace: leaving out uid clears it.
            let cleared = try await api.put("/api/v1/app/\(id)", #"{"name":"Put 3"}"#)
            try cleared.expect(.ok)
            #expect(JSONValue.isAbsent(try cleared.json()["uid"]))
            try await api.get("/api/v1/app/put-app").expectError(.notFound)

            let list = try await api.get("/api/v1/app")
            #expect(try list.json().ids == [id])
        }
    }

    @Test(arguments: TestBackend.available)

    func putRefusesAUIDTakenByAnotherApplication(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "taken")
            let other = try await api.createApp(uid: "other")
            try await api.put("/api/v1/app/\(other.id)", #"{"name":"x","uid":"taken"}"#).expectError(.conflict)
            try await api.put("/api/v1/app/brand-new", #"{"name":"x","uid":"taken"}"#).expectError(.conflict)
        }
    }

    @Test(arguments: TestBackend.available)

    func patchChangesOnlyWhatIsGivenAndNullClears(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let app = try await api.post(
                "/api/v1/app",
                #"{"name":"Patch me","uid":"patchy","metadata":{"k":"v"},"throttleRate":5}"#
            )
            try app.expect(.created)
            let id = try app.json().id

            let renamed = try await api.patch("/api/v1/app/patchy", #"{"name":"Patched"}"#)
            try renamed.expect(.ok)
            let body = try renamed.json()
            #expect(body["name"]?.string == "Patched")
            #expect(body["uid"]?.string == "patchy")
            #expect(body["metadata"] == .object(["k": .string("v")]))
            #expect(body["throttleRate"]?.int == 5)
            let createdAt = try #require(body["createdAt"]?.string)
            let updatedAt = try #require(body["updatedAt"]?.string)
            #expect(try #require(Timestamp(iso8601: updatedAt)) >= #require(Timestamp(iso8601: createdAt)))

            let cleared = try await api.patch("/api/v1/app/\(id)", #"{"uid":null,"throttleRate":null}"#)
            try cleared.expect(.ok)
            #expect(JSONValue.isAbsent(try cleared.json()["uid"]))
            #expect(JSONValue.isAbsent(try cleared.json()["throttleRate"]))
            #expect(try cleared.json()["name"]?.string == "Patched")
            try await api.get("/api/v1/app/patchy").expectError(.notFound)
            let stored = try await api.get("/api/v1/app/\(id)")
            try stored.expect(.ok)
            #expect(JSONValue.isAbsent(try stored.json()["uid"]))

            // The freed uid can be taken by another application; taking a used one is 409.
            try await api.createApp(uid: "patchy")
            try await api.patch("/api/v1/app/\(id)", #"{"uid":"patchy"}"#).expectError(.conflict)
            try await api.patch("/api/v1/app/\(id)", #"{"uid":"app_nope"}"#).expectValidation(loc: ["body", "uid"])
            try await api.patch("/api/v1/app/nope", #"{"name":"x"}"#).expectError(.notFound)
        }
    }

    @Test(arguments: TestBackend.available)

    func deleteThenNotFoundAndUIDReusable(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let app = try await api.createApp(uid: "doomed")
            let deleted = try await api.delete("/api/v1/app/doomed")
            try deleted.expect(.noContent)
            #expect(deleted.body.readableBytes == 0)
            try await api.get("/api/v1/app/\(app.id)").expectError(.notFound, code: "not_found")
            try await api.get("/api/v1/app/doomed").expectError(.notFound)
            try await api.delete("/api/v1/app/\(app.id)").expectError(.notFound)
            try await api.get("/api/v1/app/\(app.id)/endpoint").expectError(.notFound)
            let list = try await api.get("/api/v1/app")
            #expect(try list.json().ids.isEmpty)

            let again = try await api.createApp(uid: "doomed")
            #expect(again.id != app.id)
            #expect(try await api.get("/api/v1/app/doomed").json().id == again.id)
        }
    }

    @Test(arguments: TestBackend.available)

    func uidRules(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let reserved = try await api.post("/api/v1/app", #"{"name":"x","uid":"app_123"}"#).expectValidation(loc: [
                "body", "uid",
            ])
            #expect(reserved.first?["type"]?.string == "invalid_uid_prefix")
            try await api.post("/api/v1/app", #"{"name":"x","uid":"has space"}"#).expectValidation(loc: ["body", "uid"])
            try await api.post("/api/v1/app", #"{"name":"x","uid":"a/b"}"#).expectValidation(loc: ["body", "uid"])
            try await api.post("/api/v1/app", #"{"name":"x","uid":""}"#).expectValidation(loc: ["body", "uid"])
            let long = String(repeating: "u", count: 257)
            try await api.post("/api/v1/app", #"{"name":"x","uid":"\#(long)"}"#).expectValidation(loc: ["body", "uid"])
            try await api.post("/api/v1/app", #"{"name":"x","uid":"\#(long.dropLast())"}"#).expect(.created)
            try await api.put("/api/v1/app/x", #"{"name":"x","uid":"app_x"}"#).expectValidation(loc: ["body", "uid"])
            // Other prefixes are fine.
            try await api.post("/api/v1/app", #"{"name":"x","uid":"ep_123"}"#).expect(.created)
        }
    }

    @Test(arguments: TestBackend.available)

    func nameRules(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.post("/api/v1/app", #"{"uid":"x"}"#).expectValidation(loc: ["body", "name"])
            try await api.post("/api/v1/app", #"{"name":""}"#).expectValidation(loc: ["body", "name"])
            try await api.post("/api/v1/app", #"{"name":"bell\u0007"}"#).expectValidation(loc: ["body", "name"])
            try await api.post("/api/v1/app", #"{"name":"tab\tok"}"#).expect(.created)
            try await api.post("/api/v1/app", #"{"name":"x","throttleRate":0}"#).expectValidation(loc: [
                "body", "throttleRate",
            ])
            let list = try await api.get("/api/v1/app")
            #expect(try list.json().ids.count == 1)
        }
    }
}
