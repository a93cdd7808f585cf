//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Hummingbird

extension HookbirdRequestContext {
    /// A path parameter; a route without it is not this one (404).
    package func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name) else { throw APIError.notFound() }
        return value
    }
}
