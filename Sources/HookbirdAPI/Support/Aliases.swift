//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore

/// In this module `Application` is Hookbird's tenant application, not Hummingbird's server type.
typealias Application = HookbirdCore.Application
