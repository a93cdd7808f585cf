//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdTesting
import Hummingbird
import Testing

@Suite struct EventTypeAPITests {
    func names(_ response: APIResponse) throws -> [String] {
        try response.json()["data"]?.array?.compactMap { $0["name"]?.string } ?? []
    }

    @Test(arguments: TestBackend.available)

    func createConflictArchiveUnarchiveExpunge(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let created = try await api.post(
                "/api/v1/event-type",
                #"{"name":"invoice.paid","description":"Paid","schemas":{"1":{"type":"object"}}}"#
            )
            try created.expect(.created)
            let body = try created.json()
            #expect(body["name"]?.string == "invoice.paid")
            #expect(body["description"]?.string == "Paid")
            #expect(body["archived"]?.bool == false)
            #expect(body["deprecated"]?.bool == false)
            #expect(body["schemas"] == .object(["1": .object(["type": .string("object")])]))

            try await api.post("/api/v1/event-type", #"{"name":"invoice.paid","description":"Again"}"#)
                .expectError(.conflict, code: "event_type_exists")

            // DELETE archives: still readable, hidden from the default list.
            try await api.delete("/api/v1/event-type/invoice.paid").expect(.noContent)
            let archived = try await api.get("/api/v1/event-type/invoice.paid")
            try archived.expect(.ok)
            #expect(try archived.json()["archived"]?.bool == true)
            #expect(try names(await api.get("/api/v1/event-type")) == [])
            #expect(try names(await api.get("/api/v1/event-type?include_archived=true")) == ["invoice.paid"])

            // Creating an archived name un-archives it and takes the new fields.
            let revived = try await api.post("/api/v1/event-type", #"{"name":"invoice.paid","description":"Revived"}"#)
            try revived.expect(.created)
            #expect(try revived.json()["archived"]?.bool == false)
            #expect(try revived.json()["description"]?.string == "Revived")
            #expect(JSONValue.isAbsent(try revived.json()["schemas"]))
            #expect(try names(await api.get("/api/v1/event-type")) == ["invoice.paid"])

            // expunge removes it for good.
            try await api.delete("/api/v1/event-type/invoice.paid?expunge=true").expect(.noContent)
            try await api.get("/api/v1/event-type/invoice.paid").expectError(.notFound, code: "not_found")
            #expect(try names(await api.get("/api/v1/event-type?include_archived=true")) == [])
            try await api.delete("/api/v1/event-type/invoice.paid").expectError(.notFound)
            // …so the name is free again.
            try await api.createEventType("invoice.paid")
        }
    }

    @Test(arguments: TestBackend.available)

    func listWithContentAndArchived(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.post("/api/v1/event-type", #"{"name":"b.two","description":"","schemas":{"1":{}}}"#).expect(
                .created
            )
            try await api.createEventType("a.one")
            try await api.createEventType("c.three")
            try await api.delete("/api/v1/event-type/c.three").expect(.noContent)
            let list = try await api.get("/api/v1/event-type")
            try list.expect(.ok)
            #expect(try names(list) == ["a.one", "b.two"], "sorted by name, archived hidden")
            let page = try list.json()
            #expect(page["done"]?.bool == true)
            #expect(page["iterator"] != nil, "iterator is always present")
            // Schemas only with with_content=true.
            let schemasOf = { (response: APIResponse) throws -> JSONValue? in
                try response.json()["data"]?.array?.first { $0["name"]?.string == "b.two" }?["schemas"]
            }
            #expect(JSONValue.isAbsent(try schemasOf(list)))
            #expect(
                try schemasOf(await api.get("/api/v1/event-type?with_content=true")) == .object(["1": .object([:])])
            )
            #expect(
                try names(await api.get("/api/v1/event-type?include_archived=true")) == ["a.one", "b.two", "c.three"]
            )
        }
    }

    @Test(arguments: TestBackend.available)

    func putUpsertAndPatch(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.put("/api/v1/event-type/user.signup", #"{"description":"Signed up"}"#).expect(.created)
            let updated = try await api.put(
                "/api/v1/event-type/user.signup",
                #"{"description":"Signed up!","deprecated":true}"#
            )
            try updated.expect(.ok)
            #expect(try updated.json()["deprecated"]?.bool == true)
            let patched = try await api.patch("/api/v1/event-type/user.signup", #"{"featureFlag":"beta"}"#)
            try patched.expect(.ok)
            #expect(try patched.json()["featureFlag"]?.string == "beta")
            #expect(try patched.json()["description"]?.string == "Signed up!")
            try await api.patch("/api/v1/event-type/missing", #"{"description":"x"}"#).expectError(.notFound)
        }
    }

    @Test(arguments: TestBackend.available)

    func nameRules(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.post("/api/v1/event-type", #"{"name":"bad name","description":""}"#).expectValidation(loc: [
                "body", "name",
            ])
            try await api.post("/api/v1/event-type", #"{"description":""}"#).expectValidation(loc: ["body", "name"])
            try await api.post("/api/v1/event-type", #"{"name":"ok"}"#).expectValidation(loc: ["body", "description"])
            try await api.post("/api/v1/event-type", #"{"name":"ok","description":"","schemas":[1]}"#)
                .expectValidation(loc: ["body", "schemas"])
        }
    }

    /// `schemas` maps each version to a JSON schema object (Svix's `EventTypeIn`): anything else is a 422 naming
    /// `schemas`, on create, PUT and PATCH, and nothing is stored.
    @Test(arguments: TestBackend.available)
    func schemasMustMapVersionsToObjects(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let bad = [#"[1]"#, #""text""#, #"{"1":[null,null]}"#, #"{"1":{"type":"object"},"2":5}"#, #"{"1":null}"#]
            for schemas in bad {
                let body = #"{"name":"typed","description":"d","schemas":\#(schemas)}"#
                let entries = try await api.post("/api/v1/event-type", body).expectValidation()
                #expect(entries.first?.loc.map { Array($0.prefix(2)) } == ["body", "schemas"], "\(schemas)")
            }
            try await api.get("/api/v1/event-type/typed").expectError(.notFound)
            try await api.post("/api/v1/event-type", #"{"name":"typed","description":"d","schemas":{"1":{}}}"#)
                .expect(.created)
            for schemas in bad {
                try await api.put("/api/v1/event-type/typed", #"{"description":"d","schemas":\#(schemas)}"#)
                    .expectValidation()
                try await api.patch("/api/v1/event-type/typed", #"{"schemas":\#(schemas)}"#).expectValidation()
            }
            let stored = try await api.get("/api/v1/event-type/typed").json()
            #expect(stored["schemas"] == .object(["1": .object([:])]))
        }
    }
}
