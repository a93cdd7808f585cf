//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import SQLiteNIO
import HookbirdCore
@testable import HookbirdSQLite
import HookbirdStorage
import Testing

@Suite("SQLite writer")
struct SQLiteWriterTests {
    /// A job's caller that stops waiting (its task is cancelled) while it leads the writer does not break the
    /// transaction it writes for the others: a cancelled task's statements would not run.
    @Test func aCancelledLeaderStillWritesTheTransactionOfTheOthers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookbird-writer-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("db.sqlite").path)
        try await store.migrate()

        // Hold the writer, so that the next jobs queue behind it and the first of them leads the next batch.
        let (gate, open) = AsyncStream<Void>.makeStream()
        let blocker = Task {
            try await store.writer.write { _ in
                for await _ in gate {}
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let first = Make.application(uid: "first")
        let second = Make.application(uid: "second")
        let leader = Task { try await store.insertApplication(first) }
        try await Task.sleep(for: .milliseconds(50))
        let other = Task { try await store.insertApplication(second) }
        try await Task.sleep(for: .milliseconds(50))
        leader.cancel()
        open.finish()

        try await blocker.value
        try await leader.value
        try await other.value
        #expect(try await store.application(org: first.orgID, idOrUID: "first")?.id == first.id)
        #expect(try await store.application(org: second.orgID, idOrUID: "second")?.id == second.id)
        try await store.close()
    }

    /// With `--durability full`, a transaction of the delivery engine's bookkeeping alone (claims, attempt records)
    /// commits without waiting for the disk; one that holds any other write still does, and so does everything when
    /// the durability is `normal` (never waiting).
    @Test(arguments: SQLiteStore.Durability.allCases)
    func onlyDurableWritesWaitForTheDisk(_ durability: SQLiteStore.Durability) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookbird-writer-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("db.sqlite").path, durability: durability)
        try await store.migrate()
        // SQLite's `synchronous`: 1 = NORMAL, 2 = FULL.
        let full = durability == .full ? 2 : 1
        @Sendable func synchronous(_ connection: SQLiteConnection) async throws -> Int {
            try await connection.rows("PRAGMA synchronous").first?.int("synchronous") ?? -1
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
        try await store.close()
    }
}
