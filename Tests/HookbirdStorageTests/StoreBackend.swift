//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdSQL
import HookbirdStorage
import HookbirdTesting
import Logging
import PostgresNIO
import Testing

@testable import HookbirdPostgres
@testable import HookbirdSQLite

/// A storage backend every conformance test runs against.
///
/// SQLite always runs (a temporary file per test). PostgreSQL runs when `HOOKBIRD_TEST_POSTGRES_URL` names a server
/// (e.g. `postgres://postgres@127.0.0.1:55433/postgres`, see `scripts/pg-throwaway.sh`): each test gets a database
/// of its own, created on that server and dropped afterwards. When the variable is unset, the conformance tests run
/// on SQLite only, and ``PostgresAvailabilityTests`` and the PostgreSQL-only suite show up as skipped, saying why.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The server PostgreSQL cases run on.
    static let postgresURL = ProcessInfo.processInfo.environment["HOOKBIRD_TEST_POSTGRES_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }

    /// The backends the conformance tests run on.
    static let available: [StoreBackend] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]

    /// Why PostgreSQL tests are skipped.
    static let noPostgres: Comment =
        "HOOKBIRD_TEST_POSTGRES_URL is not set: the PostgreSQL cases of the conformance tests are skipped"

    static let logger = Logger(label: "hookbird.storage-tests")

    /// Runs `body` with a new, migrated store of this backend, and removes the store afterwards.
    func withStore(_ body: (any HookbirdStore) async throws -> Void) async throws {
        try await withDatabase { open in try await body(try await open(.plaintext)) }
    }

    /// Runs `body` with a function that opens and migrates a store on one new database of this backend with the
    /// cipher given, as a restart with other options would: it closes the store it opened before. The last store
    /// is closed, and the database removed, afterwards.
    func withDatabase(
        _ body: (_ open: (SecretsCipher) async throws -> any HookbirdStore) async throws -> Void
    ) async throws {
        var current: RunningStore?
        func run(_ make: @escaping (SecretsCipher) async throws -> any HookbirdStore) async throws {
            do {
                try await body { secrets in
                    if let previous = current.take() { await previous.stop() }
                    let store = RunningStore(try await make(secrets))
                    current = store
                    try await store.store.migrate()
                    return store.store
                }
            } catch {
                await current?.stop()
                throw error
            }
            await current?.stop()
        }
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookbird-storage-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("test.sqlite").path
            try await run { secrets in try SQLiteStore.open(path: path, secrets: secrets) }
        case .postgres:
            try await withPostgresDatabase { location in
                try await run { secrets in
                    try await PostgresStore.open(location: location, secrets: secrets, logger: Self.logger)
                }
            }
        }
    }

    /// The column `v` of what `sql` selects, read past the store's cipher: the text as stored.
    static func storedText(_ store: any HookbirdStore, _ sql: String) async throws -> [String] {
        switch store {
        case let store as SQLiteStore: try await store.read(sql, []).map { $0.string("v") }
        case let store as PostgresStore: try await store.execute(PostgresQuery(unsafeSQL: sql)).map { $0.string("v") }
        default: []
        }
    }

    /// Runs `body` with the location of a new, empty PostgreSQL database, dropped afterwards.
    /// Cancels the test case when no server is configured.
    func withPostgresDatabase(_ body: (PostgresLocation) async throws -> Void) async throws {
        guard let url = Self.postgresURL else {
            try Test.cancel(Self.noPostgres)
        }
        let server = try PostgresLocation(url: url)
        let name = "hookbird_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await Self.admin(server, "CREATE DATABASE \(name)")
        do {
            try await body(server.with(database: name))
        } catch {
            try? await Self.admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
        try await Self.admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs one statement on the server's own database, outside a transaction.
    private static func admin(_ server: PostgresLocation, _ sql: String) async throws {
        let client = PostgresClient(configuration: server.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            group.cancelAll()
        }
    }
}

/// Shows, as a skipped test, that the conformance tests did not run on PostgreSQL.
@Suite("PostgreSQL availability")
struct PostgresAvailabilityTests {
    @Test(
        "The conformance tests run on PostgreSQL too",
        .enabled(if: StoreBackend.postgresURL != nil, StoreBackend.noPostgres)
    )
    func conformanceRunsOnPostgres() {
        #expect(StoreBackend.available.contains(.postgres))
    }
}

