//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdSQLite
import HookbirdSQL
import HookbirdStorage
import HookbirdTesting
import Testing

@Suite("SQLite checkpoints")
struct SQLiteCheckpointTests {
    /// The writer does not checkpoint (its commits would wait for it); the store's own checkpoints copy what was
    /// committed into the database file within a second, so the file alone holds it.
    @Test func committedRowsReachTheDatabaseFileWithoutTheWriter() async throws {
        try await withTemporaryDirectory("hookbird-checkpoint") { directory in
            let path = directory.path("db.sqlite")
            let store = try SQLiteStore.open(path: path).started()
            try await store.migrate()
            let app = Make.application(uid: "checkpointed")
            try await store.insertApplication(app)
            try await Task.sleep(for: .milliseconds(1500))

            // A copy of the database file without its WAL sees the application.
            let copy = directory.path("copy.sqlite")
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            try await store.close()
            let reopened = try SQLiteStore.open(path: copy).started()
            let found = try await reopened.application(org: app.orgID, idOrUID: "checkpointed")
            try await reopened.close()
            #expect(found?.id == app.id)
        }
    }
}
