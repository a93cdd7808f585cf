//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import HookbirdTesting
import Testing

@Suite("Applications, event types, endpoints and settings")
struct ApplicationStoreTests {
    @Test(arguments: TestBackend.available)
    func applicationsByIDAndUID(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application(uid: "my-app", name: "Mine")
            try await store.insertApplication(app)
            #expect(try await store.application(org: Make.org, idOrUID: app.id.rawValue) == app)
            #expect(try await store.application(org: Make.org, idOrUID: "my-app") == app)
            #expect(try await store.application(org: Make.otherOrg, idOrUID: "my-app") == nil)
            #expect(try await store.application(org: Make.org, idOrUID: "nope") == nil)

            // A uid is unique within an organisation, not across them.
            await expectStorageError({ $0.isDuplicate && $0.subject == "uid" }) {
                try await store.insertApplication(Make.application(uid: "my-app"))
            }
            try await store.insertApplication(Make.application(org: Make.otherOrg, uid: "my-app"))
            await expectStorageError({ $0.isDuplicate }) { try await store.insertApplication(app) }

            var changed = app
            changed.name = "Renamed"
            changed.uid = "renamed"
            changed.throttleRate = 5
            changed.metadata = ["x": "y"]
            try await store.updateApplication(changed)
            #expect(try await store.application(org: Make.org, idOrUID: "renamed") == changed)
            #expect(try await store.application(org: Make.org, idOrUID: "my-app") == nil)

            let other = Make.application(uid: "other")
            try await store.insertApplication(other)
            var clash = other
            clash.uid = "renamed"
            await expectStorageError({ $0.isDuplicate && $0.subject == "uid" }) {
                try await store.updateApplication(clash)
            }
            await expectStorageError({ $0.isNotFound }) {
                try await store.updateApplication(Make.application(name: "never stored"))
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func applicationPaginationBothWays(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            var ids: [String] = []
            for index in 0..<7 {
                let app = Make.application(name: "app \(index)", at: Timestamp.now.adding(seconds: Int64(index)))
                try await store.insertApplication(app)
                ids.append(app.id.rawValue)
            }
            try await store.insertApplication(Make.application(org: Make.otherOrg))
            ids.sort()
            let all = try await store.listApplications(org: Make.org, range: ListRange(order: .ascending, limit: 50))
            #expect(all.map(\.id.rawValue) == ids)
            let first = try await store.listApplications(org: Make.org, range: ListRange(order: .ascending, limit: 3))
            #expect(first.map(\.id.rawValue) == Array(ids[0..<3]))
            let next = try await store.listApplications(
                org: Make.org,
                range: ListRange(after: ids[2], order: .ascending, limit: 3)
            )
            #expect(next.map(\.id.rawValue) == Array(ids[3..<6]))
            let back = try await store.listApplications(
                org: Make.org,
                range: ListRange(before: ids[3], order: .descending, limit: 2)
            )
            #expect(back.map(\.id.rawValue) == [ids[2], ids[1]])
            let window = try await store.listApplications(
                org: Make.org,
                range: ListRange(after: ids[1], before: ids[5], order: .descending, limit: 10)
            )
            #expect(window.map(\.id.rawValue) == [ids[4], ids[3], ids[2]])
            #expect(
                try await store.listApplications(org: Make.org, range: ListRange(order: .ascending, limit: 0)).isEmpty
            )
        }
    }

    @Test(arguments: TestBackend.available)
    func deletingAnApplicationCascades(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application(uid: "doomed")
            try await store.insertApplication(app)
            let endpoint = Make.endpoint(app, uid: "ep")
            try await store.insertEndpoint(endpoint)
            let source = Source(
                id: .generate(),
                orgID: Make.org,
                appID: app.id,
                uid: "src-doomed",
                name: "s",
                settings: InboundSourceSettings(provider: "hmac", secrets: ["x"]),
                allowedIPs: [],
                maxBody: 1000,
                createdAt: .now,
                updatedAt: .now
            )
            try await store.insertSource(source)
            #expect(try await store.insertMessage(Make.message(app)) == 1)

            try await store.deleteApplication(org: Make.org, id: app.id)
            #expect(try await store.application(org: Make.org, idOrUID: app.id.rawValue) == nil)
            #expect(
                try await store.listApplications(org: Make.org, range: ListRange(order: .ascending, limit: 9)).isEmpty
            )
            #expect(try await store.endpoint(app: app.id, idOrUID: endpoint.id.rawValue) == nil)
            #expect(try await store.source(idOrUID: "src-doomed") == nil)
            #expect(
                try await store.claimDeliveries(now: .now.adding(seconds: 1), limit: 10, lease: .seconds(30)).isEmpty
            )
            let counts = try await store.deliveryCounts(
                endpoint: endpoint.id,
                since: .now.adding(seconds: -60),
                until: .now.adding(seconds: 60)
            )
            #expect(counts == [.canceled: 1])
            await expectStorageError({ $0.isNotFound }) { try await store.deleteApplication(org: Make.org, id: app.id) }
            // The uid is free again.
            try await store.insertApplication(Make.application(uid: "doomed"))
        }
    }

    @Test(arguments: TestBackend.available)
    func eventTypes(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            for name in ["b.two", "a.one", "c.three"] { try await store.insertEventType(Make.eventType(name)) }
            try await store.insertEventType(Make.eventType("z.archived", archived: true))
            try await store.insertEventType(Make.eventType("a.one", org: Make.otherOrg))
            await expectStorageError({ $0.isDuplicate && $0.subject == "name" }) {
                try await store.insertEventType(Make.eventType("a.one"))
            }
            #expect(try await store.eventType(org: Make.org, name: "a.one")?.description == "about a.one")
            #expect(try await store.eventType(org: Make.org, name: "missing") == nil)

            let live = try await store.listEventTypes(
                org: Make.org,
                includeArchived: false,
                range: ListRange(order: .ascending, limit: 10)
            )
            #expect(live.map(\.name) == ["a.one", "b.two", "c.three"])
            let all = try await store.listEventTypes(
                org: Make.org,
                includeArchived: true,
                range: ListRange(after: "a.one", order: .descending, limit: 2)
            )
            #expect(all.map(\.name) == ["z.archived", "c.three"])

            #expect(
                try await store.unknownEventTypes(org: Make.org, names: ["a.one", "nope", "z.archived", "b.two"])
                    == ["nope", "z.archived"]
            )
            #expect(try await store.unknownEventTypes(org: Make.org, names: []) == [])

            var changed = Make.eventType("b.two", archived: true)
            changed.description = "changed"
            changed.schemas = .object(["type": .string("object")])
            changed.featureFlag = "beta"
            try await store.updateEventType(changed)
            let read = try await store.eventType(org: Make.org, name: "b.two")
            #expect(read?.description == "changed" && read?.archived == true && read?.featureFlag == "beta")
            #expect(read?.schemas == changed.schemas)
            await expectStorageError({ $0.isNotFound }) { try await store.updateEventType(Make.eventType("nope")) }

            try await store.expungeEventType(org: Make.org, name: "b.two")
            #expect(try await store.eventType(org: Make.org, name: "b.two") == nil)
            await expectStorageError({ $0.isNotFound }) {
                try await store.expungeEventType(org: Make.org, name: "b.two")
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func endpoints(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            let otherApp = Make.application()
            try await store.insertApplication(app)
            try await store.insertApplication(otherApp)
            let endpoint = Make.endpoint(app, uid: "ep-1", eventTypes: ["a"], channels: ["c"])
            try await store.insertEndpoint(endpoint)
            #expect(try await store.endpoint(app: app.id, idOrUID: "ep-1") == endpoint)
            #expect(try await store.endpoint(app: app.id, idOrUID: endpoint.id.rawValue) == endpoint)
            #expect(try await store.endpoint(app: otherApp.id, idOrUID: "ep-1") == nil)
            await expectStorageError({ $0.isDuplicate && $0.subject == "uid" }) {
                try await store.insertEndpoint(Make.endpoint(app, uid: "ep-1"))
            }
            try await store.insertEndpoint(Make.endpoint(otherApp, uid: "ep-1"))

            var ids = [endpoint.id.rawValue]
            for _ in 0..<4 {
                let more = Make.endpoint(app)
                try await store.insertEndpoint(more)
                ids.append(more.id.rawValue)
            }
            ids.sort()
            let page = try await store.listEndpoints(app: app.id, range: ListRange(order: .descending, limit: 3))
            #expect(page.map(\.id.rawValue) == Array(ids.reversed().prefix(3)))
            let rest = try await store.listEndpoints(
                app: app.id,
                range: ListRange(before: page.last!.id.rawValue, order: .descending, limit: 3)
            )
            #expect(rest.map(\.id.rawValue) == Array(ids.reversed().dropFirst(3)))

            var changed = endpoint
            changed.url = "https://example.org/other"
            changed.disabled = true
            changed.eventTypes = nil
            changed.retiredSecrets = [
                Endpoint.RetiredSecret(secret: .generate(), expiresAt: Timestamp(microseconds: 1_700_000_000_000_000))
            ]
            changed.uid = nil
            try await store.updateEndpoint(changed)
            #expect(try await store.endpoint(app: app.id, idOrUID: endpoint.id.rawValue) == changed)
            #expect(try await store.endpoint(app: app.id, idOrUID: "ep-1") == nil)
            await expectStorageError({ $0.isNotFound }) { try await store.updateEndpoint(Make.endpoint(app)) }

            try await store.deleteEndpoint(app: app.id, id: endpoint.id)
            #expect(try await store.endpoint(app: app.id, idOrUID: endpoint.id.rawValue) == nil)
            #expect(
                try await store.listEndpoints(app: app.id, range: ListRange(order: .ascending, limit: 10)).count == 4
            )
            await expectStorageError({ $0.isNotFound }) { try await store.deleteEndpoint(app: app.id, id: endpoint.id) }
        }
    }

    @Test(arguments: TestBackend.available)
    func settings(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let missing = try await store.setting("jwt_secret")
            #expect(missing == nil)
            let first = try await store.insertSettingIfAbsent("jwt_secret", value: "first")
            let second = try await store.insertSettingIfAbsent("jwt_secret", value: "second")
            #expect(first == "first")
            #expect(second == "first")
            #expect(try await store.setting("jwt_secret") == "first")
        }
    }
}
