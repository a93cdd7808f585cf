//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdSQL
import HookbirdStorage
import HookbirdTesting
import Logging
import PostgresNIO
import Testing

@testable import HookbirdPostgres
@testable import HookbirdSQLite

/// The stores every conformance test runs against: one per ``TestBackend`` (SQLite always, PostgreSQL when
/// `HOOKBIRD_TEST_POSTGRES_URL` is set), each on a database of its own. When the variable is unset,
/// ``PostgresAvailabilityTests`` and the PostgreSQL-only suite show up as skipped, saying why.
extension TestBackend {
    /// Why PostgreSQL tests are skipped.
    static let noPostgres = Comment(rawValue: noPostgresReason)

    static let logger = Logger(label: "hookbird.storage-tests")

    /// Runs `body` with a new, migrated store of this backend, and removes the store afterwards.
    func withStore(_ body: (any HookbirdStore) async throws -> Void) async throws {
        try await withReopenableStore { open in try await body(try await open(.plaintext)) }
    }

    /// Runs `body` with a function that opens and migrates a store on one new database of this backend with the
    /// cipher given, as a restart with other options would: it closes the store it opened before. The last store
    /// is closed, and the database removed, afterwards.
    func withReopenableStore(
        _ body: (_ open: (SecretsCipher) async throws -> any HookbirdStore) async throws -> Void
    ) async throws {
        try await withDatabase { database in
            var current: RunningStore?
            do {
                try await body { secrets in
                    if let previous = current.take() { await previous.stop() }
                    let store: any HookbirdStore =
                        switch database {
                        case .sqlite(let path): try SQLiteStore.open(path: path, secrets: secrets)
                        case .postgres(let location):
                            try await PostgresStore.open(location: location, secrets: secrets, logger: Self.logger)
                        }
                    let running = RunningStore(store)
                    current = running
                    try await store.migrate()
                    return store
                }
            } catch {
                await current?.stop()
                throw error
            }
            await current?.stop()
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
}

/// Shows, as a skipped test, that the conformance tests did not run on PostgreSQL.
@Suite("PostgreSQL availability")
struct PostgresAvailabilityTests {
    @Test(
        "The conformance tests run on PostgreSQL too",
        .enabled(if: TestBackend.postgresURL != nil, TestBackend.noPostgres)
    )
    func conformanceRunsOnPostgres() {
        #expect(TestBackend.available.contains(.postgres))
    }
}
