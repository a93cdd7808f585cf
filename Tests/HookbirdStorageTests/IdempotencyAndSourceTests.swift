//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import HookbirdTesting
import Testing

@Suite("Idempotency keys and inbound sources")
struct IdempotencyAndSourceTests {
    @Test(arguments: TestBackend.available)
    func idempotencyKeyStates(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let t0 = Timestamp.now
            #expect(try await store.acquireIdempotencyKey("k1", now: t0, lockTimeout: .seconds(20)) == .acquired)
            #expect(
                try await store.acquireIdempotencyKey("k1", now: t0.adding(seconds: 1), lockTimeout: .seconds(20))
                    == .inProgress
            )
            // A holder that never came back: the lock expires and the key can be taken again.
            #expect(
                try await store.acquireIdempotencyKey("k1", now: t0.adding(seconds: 21), lockTimeout: .seconds(20))
                    == .acquired
            )

            let response = IdempotentResponse(
                status: 201,
                headers: ["content-type": "application/json"],
                body: Array(#"{"id":"x"}"#.utf8) + [0, 255]
            )
            try await store.completeIdempotencyKey(
                "k1",
                response: response,
                expiresAt: Timestamp.now.adding(seconds: 3600)
            )
            #expect(
                try await store.acquireIdempotencyKey("k1", now: t0.adding(seconds: 22), lockTimeout: .seconds(20))
                    == .completed(response)
            )
            // A completed key is not released.
            try await store.releaseIdempotencyKey("k1")
            #expect(
                try await store.acquireIdempotencyKey("k1", now: t0.adding(seconds: 23), lockTimeout: .seconds(20))
                    == .completed(response)
            )
            // Once its response has expired, the key is free.
            #expect(
                try await store.acquireIdempotencyKey(
                    "k1",
                    now: Timestamp.now.adding(seconds: 3601),
                    lockTimeout: .seconds(20)
                ) == .acquired
            )

            #expect(try await store.acquireIdempotencyKey("k2", now: t0, lockTimeout: .seconds(20)) == .acquired)
            try await store.releaseIdempotencyKey("k2")
            #expect(try await store.acquireIdempotencyKey("k2", now: t0, lockTimeout: .seconds(20)) == .acquired)
        }
    }

    @Test(arguments: TestBackend.available)
    func concurrentAcquirersGetTheKeyOnce(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let t0 = Timestamp.now
            let states = try await withThrowingTaskGroup(of: IdempotencyState.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await store.acquireIdempotencyKey("race", now: t0, lockTimeout: .seconds(20)) }
                }
                var states: [IdempotencyState] = []
                for try await state in group { states.append(state) }
                return states
            }
            #expect(states.filter { $0 == .acquired }.count == 1)
            #expect(states.filter { $0 == .inProgress }.count == 7)
        }
    }

    static func source(_ app: Application, uid: String?, org: OrganizationID = Make.org) -> Source {
        Source(
            id: .generate(),
            orgID: org,
            appID: app.id,
            uid: uid,
            name: "GitHub",
            settings: InboundSourceSettings(
                provider: "github",
                secrets: ["s3cret"],
                toleranceSeconds: 300,
                options: ["a": "b"]
            ),
            allowedIPs: ["10.0.0.0/8"],
            maxBody: 65_536,
            createdAt: .now,
            updatedAt: .now
        )
    }

    @Test(arguments: TestBackend.available)
    func sources(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            try await store.insertApplication(app)
            let source = Self.source(app, uid: "gh")
            try await store.insertSource(source)
            #expect(try await store.source(org: Make.org, idOrUID: "gh") == source)
            #expect(try await store.source(org: Make.org, idOrUID: source.id.rawValue) == source)
            #expect(try await store.source(org: Make.otherOrg, idOrUID: "gh") == nil)
            #expect(try await store.source(idOrUID: "gh") == source)
            #expect(try await store.source(idOrUID: source.id.rawValue) == source)
            // Source uids are unique across organisations: /webhook/{uid} finds one source.
            await expectStorageError({ $0.isDuplicate && $0.subject == "uid" }) {
                try await store.insertSource(Self.source(app, uid: "gh", org: Make.otherOrg))
            }
            var ids = [source.id.rawValue]
            for _ in 0..<3 {
                let more = Self.source(app, uid: nil)
                try await store.insertSource(more)
                ids.append(more.id.rawValue)
            }
            ids.sort()
            let page = try await store.listSources(
                org: Make.org,
                range: ListRange(after: ids[0], order: .ascending, limit: 2)
            )
            #expect(page.map(\.id.rawValue) == Array(ids[1...2]))

            var changed = source
            changed.name = "GitHub (new)"
            changed.uid = "gh2"
            changed.settings.secrets = ["a", "b"]
            try await store.updateSource(changed)
            #expect(try await store.source(idOrUID: "gh2") == changed)
            #expect(try await store.source(idOrUID: "gh") == nil)
            await expectStorageError({ $0.isNotFound }) { try await store.updateSource(Self.source(app, uid: nil)) }

            try await store.deleteSource(org: Make.org, id: source.id)
            #expect(try await store.source(idOrUID: source.id.rawValue) == nil)
            #expect(
                try await store.listSources(org: Make.org, range: ListRange(order: .ascending, limit: 10)).count == 3
            )
            await expectStorageError({ $0.isNotFound }) { try await store.deleteSource(org: Make.org, id: source.id) }
        }
    }

    static func request(_ source: Source, outcome: InboundOutcome, eventID: String?, reason: String? = nil)
        -> StoredInboundRequest
    {
        StoredInboundRequest(
            id: .generate(),
            sourceID: source.id,
            orgID: source.orgID,
            method: "POST",
            path: "/webhook/gh",
            query: "a=1",
            headers: [["X-GitHub-Delivery", eventID ?? "-"], ["Content-Type", "application/json"]],
            body: Array(#"{"zen":"yes"}"#.utf8) + [0],
            remoteAddress: "127.0.0.1",
            receivedAt: .now,
            outcome: outcome,
            reason: reason,
            eventID: eventID,
            messageID: nil
        )
    }

    @Test(arguments: TestBackend.available)
    func inboundRequestsAreDedupedAndCounted(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            try await store.insertApplication(app)
            try await store.insertEndpoint(Make.endpoint(app))
            let source = Self.source(app, uid: "gh")
            try await store.insertSource(source)

            let message = Make.message(app, eventType: "push")
            let accepted = try await store.recordInboundRequest(
                Self.request(source, outcome: .accepted, eventID: "d-1"),
                message: message
            )
            #expect(accepted.outcome == .accepted)
            #expect(accepted.messageID == message.id)
            #expect(try await store.message(app: app.id, idOrEventID: message.id.rawValue) == message)
            #expect(
                try await store.claimDeliveries(now: .now.adding(seconds: 5), limit: 10, lease: .seconds(30)).count == 1
            )

            // The same event again: stored as a duplicate pointing at the first message; no new message.
            let second = Make.message(app, eventType: "push")
            let duplicate = try await store.recordInboundRequest(
                Self.request(source, outcome: .accepted, eventID: "d-1"),
                message: second
            )
            #expect(duplicate.outcome == .duplicate)
            #expect(duplicate.messageID == message.id)
            #expect(try await store.message(app: app.id, idOrEventID: second.id.rawValue) == nil)

            _ = try await store.recordInboundRequest(
                Self.request(source, outcome: .refused, eventID: "d-2", reason: "bad signature"),
                message: nil
            )
            _ = try await store.recordInboundRequest(
                Self.request(source, outcome: .refused, eventID: nil, reason: "bad signature"),
                message: nil
            )
            _ = try await store.recordInboundRequest(
                Self.request(source, outcome: .refused, eventID: nil, reason: "too large"),
                message: nil
            )
            // A refused request does not count as having seen the event.
            let later = try await store.recordInboundRequest(
                Self.request(source, outcome: .accepted, eventID: "d-2"),
                message: Make.message(app)
            )
            #expect(later.outcome == .accepted)

            let counts = try await store.inboundCounts(source: source.id)
            #expect(counts.outcomes == [.accepted: 2, .duplicate: 1, .refused: 3])
            #expect(counts.refusedReasons == ["bad signature": 2, "too large": 1])

            #expect(try await store.inboundRequest(source: source.id, id: accepted.id) == accepted)
            #expect(
                try await store.inboundRequest(source: source.id, id: InboundRequestID(unchecked: "req_nope")) == nil
            )
            let refused = try await store.listInboundRequests(
                source: source.id,
                filter: InboundRequestFilter(outcome: .refused),
                range: ListRange(order: .descending, limit: 2)
            )
            #expect(refused.count == 2)
            #expect(refused.allSatisfy { $0.outcome == .refused })
            let all = try await store.listInboundRequests(
                source: source.id,
                filter: InboundRequestFilter(),
                range: ListRange(order: .ascending, limit: 50)
            )
            #expect(all.count == 6)
            #expect(all.map(\.id.rawValue) == all.map(\.id.rawValue).sorted())
        }
    }

    @Test(arguments: TestBackend.available)
    func concurrentDeliveriesOfOneEventMakeOneMessage(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            try await store.insertApplication(app)
            let source = Self.source(app, uid: "gh")
            try await store.insertSource(source)
            let outcomes = try await withThrowingTaskGroup(of: InboundOutcome.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await store.recordInboundRequest(
                            Self.request(source, outcome: .accepted, eventID: "same"),
                            message: Make.message(app)
                        ).outcome
                    }
                }
                var outcomes: [InboundOutcome] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(outcomes.filter { $0 == .accepted }.count == 1)
            #expect(outcomes.filter { $0 == .duplicate }.count == 5)
        }
    }

    /// Many requests recorded at once (SQLite writes them in one transaction): per event id one is accepted with its
    /// message and the rest are duplicates that point at that message; refused ones count for nothing.
    @Test(arguments: TestBackend.available)
    func concurrentRequestsForManyEventsKeepOnePerEvent(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let app = Make.application()
            try await store.insertApplication(app)
            try await store.insertEndpoint(Make.endpoint(app))
            let source = Self.source(app, uid: "gh")
            try await store.insertSource(source)
            let recorded = try await withThrowingTaskGroup(of: StoredInboundRequest.self) { group in
                for index in 0..<150 {
                    group.addTask {
                        let refused = index % 5 == 4
                        return try await store.recordInboundRequest(
                            Self.request(
                                source,
                                outcome: refused ? .refused : .accepted,
                                eventID: "evt-\(index % 30)",
                                reason: refused ? "bad signature" : nil
                            ),
                            message: refused ? nil : Make.message(app)
                        )
                    }
                }
                var recorded: [StoredInboundRequest] = []
                for try await one in group { recorded.append(one) }
                return recorded
            }
            let accepted = recorded.filter { $0.outcome == .accepted }
            // Event ids 4, 9, 14, … get only refused requests (index % 5 == 4 ⇔ index % 30 % 5 == 4).
            #expect(accepted.count == 24)
            #expect(Set(accepted.compactMap(\.eventID)).count == 24)
            #expect(recorded.filter { $0.outcome == .refused }.count == 30)
            let firstMessage = Dictionary(accepted.map { ($0.eventID!, $0.messageID) }, uniquingKeysWith: { a, _ in a })
            for duplicate in recorded where duplicate.outcome == .duplicate {
                #expect(duplicate.messageID == firstMessage[duplicate.eventID!])
            }
            #expect(recorded.filter { $0.outcome == .duplicate }.count == 96)
            for request in accepted {
                let id = try #require(request.messageID)
                #expect(try await store.message(app: app.id, idOrEventID: id.rawValue) != nil)
            }
            let counts = try await store.inboundCounts(source: source.id)
            #expect(counts.outcomes == [.accepted: 24, .duplicate: 96, .refused: 30])
            let stored = try await store.inboundRequest(source: source.id, id: accepted[0].id)
            #expect(stored?.headers == accepted[0].headers)
        }
    }
}
