//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
import HookbirdHTTP
import Hummingbird

/// Registers the API's routes on a group and in the route table (which tells a wrong method from an unknown path).
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
