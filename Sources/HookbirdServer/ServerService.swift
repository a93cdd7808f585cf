//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Hummingbird
import Logging
import ServiceLifecycle

/// The server as one service of the process's group, after the store: it prepares the store (migrations, secrets),
/// resolves the JWT secret, builds the application and runs it until graceful shutdown.
struct ServerService: Service {
    let configuration: ServerConfiguration
    let store: ServerStore
    let logger: Logger
    let onNewToken: @Sendable (String) -> Void
    let onServerRunning: @Sendable (Int) async -> Void

    func run() async throws {
        try await HookbirdServer.prepareStore(store.store, logger: logger)
        let (secret, newToken) = try await HookbirdServer.resolveJWTSecret(configuration, store: store.store)
        if let newToken { onNewToken(newToken) }
        let application = try await HookbirdServer.buildApplication(
            configuration: configuration,
            store: store,
            jwtSecret: secret,
            logger: logger,
            onServerRunning: onServerRunning
        )
        try await application.run()
    }
}
