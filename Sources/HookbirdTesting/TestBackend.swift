//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import Foundation
public import HookbirdPostgres
import Logging
import PostgresNIO

/// A database backend the tests run on.
///
/// SQLite always runs (a new file in a temporary directory of its own). PostgreSQL runs too when
/// `HOOKBIRD_TEST_POSTGRES_URL` names a server (e.g. `postgres://postgres@127.0.0.1:55433/postgres`, see
/// `scripts/pg-throwaway.sh`): each test gets a database of its own there, created before it and dropped after it.
///
/// ```swift
/// @Test(arguments: TestBackend.available)
/// func roundTrip(_ backend: TestBackend) async throws {
///     try await backend.withDatabase { database in … }   // .sqlite(path:) or .postgres(location)
/// }
/// ```
public enum TestBackend: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    /// The server PostgreSQL cases run on (`HOOKBIRD_TEST_POSTGRES_URL`; unset or empty: none).
    public static let postgresURL: String? = ProcessInfo.processInfo.environment["HOOKBIRD_TEST_POSTGRES_URL"]
        .flatMap { $0.isEmpty ? nil : $0 }

    /// The backends tests run on: SQLite, and PostgreSQL when ``postgresURL`` is set.
    public static let available: [TestBackend] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]

    /// Why PostgreSQL tests are skipped.
    public static let noPostgresReason =
        "HOOKBIRD_TEST_POSTGRES_URL is not set: the PostgreSQL cases of the conformance tests are skipped"

    /// Runs `body` with a new, empty database of this backend, removed afterwards (also when `body` throws).
    /// - Parameters:
    ///   - parent: The directory the SQLite database's own directory is made in.
    /// - Throws: What `body` throws; ``TestBackendError`` for PostgreSQL without ``postgresURL``.
    public func withDatabase<Value>(
        in parent: URL = FileManager.default.temporaryDirectory,
        _ body: (TestDatabase) async throws -> Value
    ) async throws -> Value {
        switch self {
        case .sqlite:
            try await withTemporaryDirectory("hookbird-tests", in: parent) { directory in
                try await body(.sqlite(path: directory.path("hookbird.sqlite")))
            }
        case .postgres:
            try await Self.withPostgresDatabase { location in try await body(.postgres(location)) }
        }
    }

    /// Runs `body` with the location of a new, empty database on the ``postgresURL`` server, dropped afterwards
    /// (also when `body` throws).
    /// - Throws: What `body` throws; ``TestBackendError`` when no server is configured.
    public static func withPostgresDatabase<Value>(
        _ body: (PostgresLocation) async throws -> Value
    ) async throws -> Value {
        guard let url = postgresURL else { throw TestBackendError(description: noPostgresReason) }
        let server = try PostgresLocation(url: url)
        let name = "hookbird_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin(server, "CREATE DATABASE \(name)")
        let value: Value
        do {
            value = try await body(server.with(database: name))
        } catch {
            try? await admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
        try await admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        return value
    }

    private static let logger = Logger(label: "hookbird.tests")

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

/// A new, empty database a test runs on.
public enum TestDatabase: Sendable {
    /// The path of an SQLite file (not created yet) in a directory of its own.
    case sqlite(path: String)
    /// A PostgreSQL database of its own.
    case postgres(PostgresLocation)
}

/// A backend a test asked for cannot run here.
public struct TestBackendError: Error, CustomStringConvertible {
    public let description: String
}
