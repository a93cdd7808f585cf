//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdSQL
@testable import HookbirdSQLite
import HookbirdStorage
import HookbirdTesting
import Testing

@Suite("SQLite writer")
struct SQLiteWriterTests {
    /// Runs `body` with a new, migrated SQLite store (its writer is `store.writer`), then closes and removes it.
    func withSQLiteStore(
        durability: SQLiteStore.Durability = .full,
        _ body: (SQLiteStore) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory("hookbird-writer") { directory in
            let store = try SQLiteStore.open(path: directory.path("db.sqlite"), durability: durability)
            let running = RunningStore(store)
            do {
                try await store.migrate()
                try await body(store)
            } catch {
                await running.stop()
                throw error
            }
            await running.stop()
        }
    }

    /// A job's caller that stops waiting (its task is cancelled) still has its job written, in one transaction with
    /// the others queued beside it: statements that ran on a cancelled task would be skipped.
    @Test func aCancelledCallerStillHasItsJobWritten() async throws {
        try await withSQLiteStore { store in
            // Hold the writer, so that the next jobs queue behind it and go into the next transaction together.
            let (gate, open) = AsyncStream<Void>.makeStream()
            let blocker = Task {
                try await store.writer.write { _ in
                    for await _ in gate {}
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            let first = Make.application(uid: "first")
            let second = Make.application(uid: "second")
            let cancelled = Task { try await store.insertApplication(first) }
            try await Task.sleep(for: .milliseconds(50))
            let other = Task { try await store.insertApplication(second) }
            try await Task.sleep(for: .milliseconds(50))
            cancelled.cancel()
            open.finish()

            try await blocker.value
            try await cancelled.value
            try await other.value
            #expect(try await store.application(org: first.orgID, idOrUID: "first")?.id == first.id)
            #expect(try await store.application(org: second.orgID, idOrUID: "second")?.id == second.id)
        }
    }

    /// Closing the writer writes what is already queued, then refuses later jobs with a clear error.
    @Test func closeWritesWhatIsQueuedThenRefuses() async throws {
        try await withSQLiteStore { store in
            let (gate, open) = AsyncStream<Void>.makeStream()
            let blocker = Task { try await store.writer.write { _ in for await _ in gate {} } }
            try await Task.sleep(for: .milliseconds(50))
            let application = Make.application(uid: "queued")
            let queued = Task { try await store.insertApplication(application) }
            try await Task.sleep(for: .milliseconds(50))
            let closing = Task { store.writer.close() }
            try await Task.sleep(for: .milliseconds(50))
            open.finish()
            try await blocker.value
            try await queued.value
            await closing.value

            #expect(try await store.application(org: application.orgID, idOrUID: "queued")?.id == application.id)
            await #expect(throws: StorageError.self) { try await store.writer.write { _ in } }
        }
    }

    /// With `--durability full`, a transaction of the delivery engine's bookkeeping alone (claims, attempt records)
    /// commits without waiting for the disk; one that holds any other write still does, and so does everything when
    /// the durability is `normal` (never waiting).
    @Test(arguments: SQLiteStore.Durability.allCases)
    func onlyDurableWritesWaitForTheDisk(_ durability: SQLiteStore.Durability) async throws {
        try await withSQLiteStore(durability: durability) { store in
            // SQLite's `synchronous`: 1 = NORMAL, 2 = FULL.
            let full = durability == .full ? 2 : 1
            @Sendable func synchronous(_ connection: SQLiteHandle) async throws -> Int {
                try connection.rows("PRAGMA synchronous").first?.int("synchronous") ?? -1
            }
            #expect(try await store.writer.write(durable: false, synchronous) == 1)
            #expect(try await store.writer.write(synchronous) == full)
            #expect(try await store.writer.write(durable: false, synchronous) == 1)

            // A durable job and a bookkeeping one in the same transaction: it waits for the disk.
            let (gate, open) = AsyncStream<Void>.makeStream()
            let blocker = Task { try await store.writer.write(durable: false) { _ in for await _ in gate {} } }
            try await Task.sleep(for: .milliseconds(50))
            let bookkeeping = Task { try await store.writer.write(durable: false, synchronous) }
            let durable = Task { try await store.writer.write(synchronous) }
            try await Task.sleep(for: .milliseconds(50))
            open.finish()
            try await blocker.value
            #expect(try await bookkeeping.value == full)
            #expect(try await durable.value == full)
        }
    }
}
