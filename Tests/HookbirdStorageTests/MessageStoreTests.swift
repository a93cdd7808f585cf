//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import HookbirdTesting
import Testing

@Suite("Messages and attempts")
struct MessageStoreTests {
    @Test(arguments: TestBackend.available)
    func fanOutFollowsEndpointFilters(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            try await store.insertApplication(app)
            let all = Make.endpoint(app)
            let typed = Make.endpoint(app, eventTypes: ["user.created"])
            let channelled = Make.endpoint(app, channels: ["eu"])
            let disabled = Make.endpoint(app, disabled: true)
            let deleted = Make.endpoint(app)
            for endpoint in [all, typed, channelled, disabled, deleted] { try await store.insertEndpoint(endpoint) }
            try await store.deleteEndpoint(app: app.id, id: deleted.id)
            // Another application's endpoint never receives this application's messages.
            let otherApp = Make.application()
            try await store.insertApplication(otherApp)
            try await store.insertEndpoint(Make.endpoint(otherApp))

            #expect(try await store.insertMessage(Make.message(app, eventType: "user.created", channels: ["eu"])) == 3)
            #expect(try await store.insertMessage(Make.message(app, eventType: "user.created")) == 2)
            #expect(try await store.insertMessage(Make.message(app, eventType: "order.paid", channels: ["us"])) == 1)
            let empty = Make.application()
            try await store.insertApplication(empty)
            #expect(try await store.insertMessage(Make.message(empty)) == 0)

            let claimed = try await store.claimDeliveries(now: .now.adding(seconds: 5), limit: 100, lease: .seconds(30))
            #expect(claimed.count == 6)
            #expect(Set(claimed.map(\.endpoint.id)).isSubset(of: [all.id, typed.id, channelled.id]))
            #expect(claimed.allSatisfy { $0.attemptCount == 0 && $0.trigger == .scheduled })
        }
    }

    @Test(arguments: TestBackend.available)
    func messageLookupsAndUniqueKeys(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            let otherApp = Make.application()
            try await store.insertApplication(app)
            try await store.insertApplication(otherApp)
            let message = Make.message(app, eventID: "evt-1", channels: ["a", "b"], idempotencyKey: "key-1")
            try await store.insertMessage(message)
            #expect(try await store.message(app: app.id, idOrEventID: message.id.rawValue) == message)
            #expect(try await store.message(app: app.id, idOrEventID: "evt-1") == message)
            #expect(try await store.message(app: otherApp.id, idOrEventID: "evt-1") == nil)
            #expect(try await store.message(app: app.id, idempotencyKey: "key-1") == message)
            #expect(try await store.message(app: app.id, idempotencyKey: "key-2") == nil)

            await expectStorageError({ $0.isDuplicate && $0.subject == "eventId" }) {
                try await store.insertMessage(Make.message(app, eventID: "evt-1"))
            }
            await expectStorageError({ $0.isDuplicate && $0.subject == "idempotencyKey" }) {
                try await store.insertMessage(Make.message(app, idempotencyKey: "key-1"))
            }
            // Both keys are per application.
            try await store.insertMessage(Make.message(otherApp, eventID: "evt-1", idempotencyKey: "key-1"))
            // A refused message leaves nothing behind.
            #expect(
                try await store.listMessages(
                    app: app.id,
                    filter: MessageFilter(),
                    range: ListRange(order: .ascending, limit: 10)
                ).count == 1
            )
        }
    }

    @Test(arguments: TestBackend.available)
    func messageListFiltersAndPages(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            try await store.insertApplication(app)
            let start = Timestamp.now
            var messages: [Message] = []
            for index in 0..<6 {
                let message = Make.message(
                    app,
                    eventType: index.isMultiple(of: 2) ? "even" : "odd",
                    channels: index < 3 ? ["low"] : ["high", "x"],
                    at: start.adding(seconds: Int64(index))
                )
                try await store.insertMessage(message)
                messages.append(message)
            }
            let ids = messages.map(\.id.rawValue).sorted()
            let all = try await store.listMessages(
                app: app.id,
                filter: MessageFilter(),
                range: ListRange(order: .descending, limit: 4)
            )
            #expect(all.map(\.id.rawValue) == Array(ids.reversed().prefix(4)))
            let older = try await store.listMessages(
                app: app.id,
                filter: MessageFilter(),
                range: ListRange(before: all.last!.id.rawValue, order: .descending, limit: 4)
            )
            #expect(older.map(\.id.rawValue) == Array(ids.reversed().dropFirst(4)))

            let even = try await store.listMessages(
                app: app.id,
                filter: MessageFilter(eventTypes: ["even"]),
                range: ListRange(order: .ascending, limit: 10)
            )
            let evenIDs = [messages[0], messages[2], messages[4]].map(\.id.rawValue).sorted()
            #expect(even.map(\.id.rawValue) == evenIDs)
            let high = try await store.listMessages(
                app: app.id,
                filter: MessageFilter(channel: "high"),
                range: ListRange(order: .ascending, limit: 10)
            )
            #expect(Set(high.map(\.id)) == Set(messages[3...].map(\.id)))
            let oddLow = try await store.listMessages(
                app: app.id,
                filter: MessageFilter(eventTypes: ["odd"], channel: "low"),
                range: ListRange(order: .ascending, limit: 10)
            )
            #expect(oddLow.map(\.id) == [messages[1].id])
            #expect(
                try await store.listMessages(
                    app: app.id,
                    filter: MessageFilter(channel: "hig"),
                    range: ListRange(order: .ascending, limit: 10)
                ).isEmpty
            )
        }
    }

    @Test(arguments: TestBackend.available)
    func attemptsAreListedAndCounted(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            try await store.insertApplication(app)
            let first = Make.endpoint(app)
            let second = Make.endpoint(app)
            try await store.insertEndpoint(first)
            try await store.insertEndpoint(second)
            let start = Timestamp.now
            try await store.insertMessage(Make.message(app, eventType: "a", channels: ["c1"], at: start))
            try await store.insertMessage(Make.message(app, eventType: "b", at: start))
            let claimed = try await store.claimDeliveries(now: start, limit: 10, lease: .seconds(30))
            #expect(claimed.count == 4)
            var attempts: [MessageAttempt] = []
            for (index, delivery) in claimed.enumerated() {
                let completion = Make.completion(
                    delivery,
                    outcome: index == 0 ? .retry(at: start.adding(seconds: 60)) : .succeeded,
                    code: index == 0 ? 503 : 200,
                    at: start.adding(seconds: Int64(index))
                )
                _ = try await store.completeDelivery(completion, now: start.adding(seconds: Int64(index)))
                attempts.append(completion.attempt)
            }
            let ids = attempts.map(\.id.rawValue).sorted()
            let listed = try await store.listAttempts(
                app: app.id,
                filter: AttemptFilter(),
                range: ListRange(order: .ascending, limit: 10)
            )
            #expect(listed.map(\.id.rawValue) == ids)
            #expect(Set(listed) == Set(attempts))
            let page = try await store.listAttempts(
                app: app.id,
                filter: AttemptFilter(),
                range: ListRange(after: ids[1], order: .ascending, limit: 1)
            )
            #expect(page.map(\.id.rawValue) == [ids[2]])

            func count(_ filter: AttemptFilter) async throws -> Int {
                try await store.listAttempts(
                    app: app.id,
                    filter: filter,
                    range: ListRange(order: .ascending, limit: 10)
                ).count
            }
            #expect(
                try await count(AttemptFilter(endpointID: first.id))
                    == attempts.filter { $0.endpointID == first.id }.count
            )
            #expect(try await count(AttemptFilter(messageID: claimed[0].message.id)) == 2)
            #expect(try await count(AttemptFilter(status: .pending)) == 1)
            #expect(try await count(AttemptFilter(statusCodeClass: 500)) == 1)
            #expect(try await count(AttemptFilter(statusCodeClass: 200)) == 3)
            #expect(try await count(AttemptFilter(statusCodeClass: 0)) == 0)
            #expect(try await count(AttemptFilter(eventTypes: ["a"])) == 2)
            #expect(try await count(AttemptFilter(channel: "c1")) == 2)
            #expect(try await count(AttemptFilter(eventTypes: ["b"], channel: "c1")) == 0)

            let one = attempts[0]
            #expect(try await store.attempt(app: app.id, message: one.messageID, id: one.id) == one)
            #expect(try await store.attempt(app: Make.application().id, message: one.messageID, id: one.id) == nil)

            let window = (since: start.adding(seconds: -10), until: start.adding(seconds: 10))
            let firstAttempts = attempts.filter { $0.endpointID == first.id }
            var expected: [MessageStatus: Int] = [:]
            for attempt in firstAttempts { expected[attempt.status, default: 0] += 1 }
            #expect(
                try await store.attemptCounts(endpoint: first.id, since: window.since, until: window.until) == expected
            )
            #expect(
                try await store.attemptCounts(
                    endpoint: first.id,
                    since: start.adding(seconds: 100),
                    until: start.adding(seconds: 200)
                ) == [:]
            )
            let deliveries = try await store.deliveryCounts(
                endpoint: claimed[0].endpoint.id,
                since: window.since,
                until: window.until
            )
            #expect(deliveries[.pending] == 1 && deliveries[.success] == 1)
        }
    }
}
