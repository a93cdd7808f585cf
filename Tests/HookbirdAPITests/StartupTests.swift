//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdServer
import HookbirdStorage
import HookbirdTesting
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite struct StartupTests {
    /// HS256 keys must be at least as long as the hash (RFC 7518 §3.2); jwt-kit asserts it in debug builds, so the
    /// server refuses shorter secrets up front.
    @Test func jwtSecretsShorterThan32BytesAreRefused() throws {
        #expect(throws: ConfigurationError.self) { try HookbirdServer.validateJWTSecret("") }
        #expect(throws: ConfigurationError.self) { try HookbirdServer.validateJWTSecret("test-jwt-secret") }
        #expect(throws: ConfigurationError.self) {
            try HookbirdServer.validateJWTSecret(String(repeating: "s", count: 31))
        }
        #expect(throws: Never.self) { try HookbirdServer.validateJWTSecret(String(repeating: "s", count: 32)) }
        #expect(throws: Never.self) { try HookbirdServer.validateJWTSecret(API.jwtSecret) }
        // Bytes, not characters: 11 three-byte characters are 33 bytes.
        #expect(throws: Never.self) { try HookbirdServer.validateJWTSecret(String(repeating: "€", count: 11)) }
    }

    /// A server whose port is taken fails with an error (rather than hanging or crashing), and its store can then be
    /// closed normally.
    @Test(.timeLimit(.minutes(1))) func takenPortIsAnError() async throws {
        try await withServer { api, _ in
            let port = try #require(api.client.port)
            try await withTemporaryDirectory("hookbird-api-tests") { directory in
                var logger = Logger(label: "hookbird-api-tests")
                logger.logLevel = .critical
                let configuration = ServerConfiguration(
                    host: "localhost",
                    port: port,
                    database: .sqlite(path: directory.path("second.sqlite")),
                    adminToken: API.adminToken,
                    role: .api
                )
                let opened = try await HookbirdServer.openStore(configuration, logger: logger)
                let quiet = logger
                try await opened.store.withRunning { store in
                    try await HookbirdServer.prepareStore(store, logger: quiet)
                    let app = try await HookbirdServer.buildApplication(
                        configuration: configuration,
                        store: opened,
                        jwtSecret: nil,
                        logger: quiet
                    )
                    await #expect(throws: (any Error).self) { try await app.runService(gracefulShutdownSignals: []) }
                }
            }
            // The first server is unaffected.
            try await api.get("/api/v1/health").expect(.ok)
        }
    }
}
