//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdDelivery
import HookbirdStorage
import Hummingbird
import Logging
import Testing

@testable import HookbirdAPI
@testable import HookbirdHTTP
import HookbirdOperations
import HookbirdTesting
@testable import HookbirdServer

/// The route table and `/openapi.json` describe the same routes: every route the router of an `all` node registers
/// under `/api/v1` and `/webhook` is an operation of the document, and every operation of the document is a route.
/// (What each operation answers is checked against a running server by tests/contract.)
@Suite struct OpenAPIDocumentTests {
    /// `METHOD /path/{}` for each, path parameters named alike so that `:name` and `{event_type_name}` compare.
    static func normalise(_ method: String, _ path: String) -> String {
        let segments = path.split(separator: "/").map { segment in
            segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) ? "{}" : String(segment)
        }
        return "\(method.uppercased()) /" + segments.joined(separator: "/")
    }

    static func documented() throws -> Set<String> {
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any]
        )
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations = Set<String>()
        for (path, item) in paths {
            for method in item.keys where ["get", "head", "post", "put", "patch", "delete"].contains(method) {
                operations.insert(normalise(method, path))
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryOperationIsRouted() async throws {
        let routed: Set<String> = try await withTemporaryDirectory("hookbird-openapi") { directory in
            var logger = Logger(label: "hookbird-openapi-tests")
            logger.logLevel = .error
            let configuration = ServerConfiguration(
                host: "127.0.0.1",
                port: 0,
                database: .sqlite(path: directory.path("hookbird.sqlite")),
                adminToken: API.adminToken,
                role: .all
            )
            let opened = try await HookbirdServer.openStore(configuration, logger: logger)
            // The router only needs the store to exist; it is run (and stopped) around it as the server does.
            return try await opened.store.withRunning { _ in
                let router = try await HookbirdServer.makeRouter(
                    configuration: configuration,
                    store: opened,
                    jwtSecret: API.jwtSecret,
                    listeners: ListenerHub()
                )
                return Set(
                    router.routes.map { Self.normalise($0.method.rawValue, "\($0.path)") }
                        .filter { $0.contains(" /api/v1/") || $0.contains(" /webhook/") }
                )
            }
        }
        let documented = try Self.documented()
        #expect(routed.subtracting(documented).sorted() == [], "routes missing from /openapi.json")
        #expect(documented.subtracting(routed).sorted() == [], "documented operations no route serves")
        #expect(routed.count > 50)
    }
}
