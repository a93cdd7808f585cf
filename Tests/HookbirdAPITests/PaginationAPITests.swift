//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdTesting
import Hummingbird
import Testing

@Suite struct PaginationAPITests {
    /// Checks a walk: every page but the last is full and not done, and every item appears once.
    func checkWalk(_ pages: [JSONValue], limit: Int, total: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(pages.count == (total + limit - 1) / limit, sourceLocation: sourceLocation)
        for (index, page) in pages.enumerated() {
            let isLast = index == pages.count - 1
            #expect(page["done"]?.bool == isLast, sourceLocation: sourceLocation)
            #expect(page.ids.count == (isLast ? total - limit * index : limit), sourceLocation: sourceLocation)
            #expect(page["iterator"]?.string == page.ids.last, sourceLocation: sourceLocation)
            #expect(page["prevIterator"]?.string == page.ids.first.map { "-" + $0 }, sourceLocation: sourceLocation)
        }
        let all = pages.flatMap(\.ids)
        #expect(Set(all).count == all.count, "an item appeared twice", sourceLocation: sourceLocation)
    }

    @Test(arguments: TestBackend.available)

    func applicationsOldestFirst(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            var created: [String] = []
            for index in 0..<5 { created.append(try await api.createApp(name: "App \(index)").id) }
            let pages = try await api.walk("/api/v1/app", limit: 2)
            checkWalk(pages, limit: 2, total: 5)
            let walked = pages.flatMap(\.ids)
            #expect(Set(walked) == Set(created))
            #expect(walked == created.sorted(), "ascending by id, i.e. by creation time")

            let descending = try await api.walk("/api/v1/app", limit: 2, extraQuery: "&order=descending")
            checkWalk(descending, limit: 2, total: 5)
            #expect(descending.flatMap(\.ids) == created.sorted().reversed())

            // Going back from the second page gives the first page again.
            let prev = try #require(pages[1]["prevIterator"]?.string)
            let back = try await api.get("/api/v1/app?limit=2&iterator=\(prev)")
            try back.expect(.ok)
            #expect(try back.json().ids == pages[0].ids)
        }
    }

    @Test(arguments: TestBackend.available)

    func messagesNewestFirst(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            var created: [String] = []
            for index in 0..<5 {
                let response = try await api.post(
                    "/api/v1/app/app1/msg",
                    #"{"eventType":"a","payload":{"n":\#(index)}}"#
                )
                try response.expect(.accepted)
                created.append(try response.json().id)
            }
            let pages = try await api.walk("/api/v1/app/app1/msg", limit: 2)
            checkWalk(pages, limit: 2, total: 5)
            let walked = pages.flatMap(\.ids)
            #expect(Set(walked) == Set(created))
            #expect(walked == created.sorted().reversed(), "newest first")
            // The message timestamps never increase along the walk.
            let times = pages.flatMap { $0["data"]?.array ?? [] }.compactMap {
                $0["timestamp"]?.string.flatMap(Timestamp.init(iso8601:))
            }
            #expect(times.count == 5)
            #expect(times == times.sorted(by: >))

            // prevIterator walks back towards newer messages.
            let prevOfThird = try #require(pages[2]["prevIterator"]?.string)
            let second = try await api.get("/api/v1/app/app1/msg?limit=2&iterator=\(prevOfThird)")
            try second.expect(.ok)
            #expect(try second.json().ids == pages[1].ids)
            let prevOfSecond = try #require(try second.json()["prevIterator"]?.string)
            let first = try await api.get("/api/v1/app/app1/msg?limit=2&iterator=\(prevOfSecond)")
            #expect(try first.json().ids == pages[0].ids)
        }
    }

    @Test(arguments: TestBackend.available)

    func endpointsNewestFirstByDefault(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            var created: [String] = []
            for index in 0..<5 {
                created.append(
                    try await api.createEndpoint(app: "app1", #"{"url":"https://example.com/\#(index)"}"#).id
                )
            }
            let pages = try await api.walk("/api/v1/app/app1/endpoint", limit: 2)
            checkWalk(pages, limit: 2, total: 5)
            #expect(pages.flatMap(\.ids) == created.sorted().reversed())
        }
    }

    @Test(arguments: TestBackend.available)

    func eventTypesByName(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let names = ["e.five", "a.one", "d.four", "b.two", "c.three"]
            for name in names { try await api.createEventType(name) }
            var walked: [String] = []
            var iterator: String?
            var pages = 0
            repeat {
                let query = iterator.map { "&iterator=\($0)" } ?? ""
                let page = try await api.get("/api/v1/event-type?limit=2\(query)").json()
                let pageNames = page["data"]?.array?.compactMap { $0["name"]?.string } ?? []
                walked += pageNames
                #expect(page["iterator"]?.string == pageNames.last)
                iterator = page["iterator"]?.string
                pages += 1
                if page["done"]?.bool == true { break }
            } while pages < 10
            #expect(pages == 3)
            #expect(walked == names.sorted())
        }
    }

    @Test(arguments: TestBackend.available)

    func emptyListHasNullIterator(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            let list = try await api.get("/api/v1/app")
            try list.expect(.ok)
            let page = try list.json()
            #expect(page["data"] == .array([]))
            #expect(page["done"]?.bool == true)
            #expect(page["iterator"] == .null, "iterator must be present even when null")
        }
    }

    @Test(arguments: TestBackend.available)

    func limitAndIteratorValidation(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, _ in
            try await api.createApp(uid: "app1")
            let tooMany = try await api.get("/api/v1/app?limit=251").expectValidation(loc: ["query", "limit"])
            #expect(tooMany.first?["msg"]?.string == "Given limit must not exceed 250")
            try await api.get("/api/v1/app?limit=250").expect(.ok)
            try await api.get("/api/v1/app?limit=0").expectValidation(loc: ["query", "limit"])
            try await api.get("/api/v1/app?limit=-1").expectValidation(loc: ["query", "limit"])
            try await api.get("/api/v1/app?limit=ten").expectValidation(loc: ["query", "limit"])
            try await api.get("/api/v1/app/app1/msg?limit=251").expectValidation(loc: ["query", "limit"])
            try await api.get("/api/v1/app/app1/endpoint?limit=251").expectValidation(loc: ["query", "limit"])
            try await api.get("/api/v1/app?iterator=ep_1srOrx2ZWZBpBUvZwXKQmoEYga2").expectValidation(loc: [
                "query", "iterator",
            ])
            try await api.get("/api/v1/app/app1/msg?iterator=garbage").expectValidation(loc: ["query", "iterator"])
            try await api.get("/api/v1/app?order=sideways").expectValidation(loc: ["query", "order"])
            try await api.get("/api/v1/app/app1/msg?before=yesterday").expectValidation(loc: ["query", "before"])
        }
    }
}
