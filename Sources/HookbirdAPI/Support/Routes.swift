//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
import Hummingbird
import Synchronization

/// Registers routes on a router group and remembers them, so that a known path with the wrong method gets 405.
struct Routes {
    let group: RouterGroup<HookbirdRequestContext>
    let table: RouteTable
    let prefix: String

    func on(
        _ path: String,
        _ method: HTTPRequest.Method,
        use handler: @escaping @Sendable (Request, HookbirdRequestContext) async throws -> Response
    ) {
        group.on(RouterPath(path), method: method, use: handler)
        table.add(prefix + "/" + path, method)
    }
}

extension RouteTable {
    func add(_ path: String, _ method: HTTPRequest.Method) {
        entries.withLock { $0.append((Self.segments(path), method)) }
    }
}

/// Parameters of the path.
extension HookbirdRequestContext {
    func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name) else { throw APIError.notFound() }
        return value
    }
}
