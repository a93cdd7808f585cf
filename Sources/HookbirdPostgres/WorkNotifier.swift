//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdStorage
import PostgresNIO
import Synchronization

/// Wakes the other nodes' delivery engines after commits that queued work: one `NOTIFY hookbird_work` (carrying this
/// node's id, which its own listener ignores) for whatever was committed since the last one, sent on its own, after
/// those commits, and at most once every ``interval``.
///
/// The `NOTIFY` is not part of the transactions that queue the work. A transaction that has queued a `NOTIFY` holds
/// PostgreSQL's database-wide notify lock from its pre-commit until its commit record is flushed
/// (`PreCommit_Notify` in `src/backend/commands/async.c`), so every message transaction on every node would commit
/// one after the other and never share a WAL flush. Sent alone, the lock is held for one tiny transaction per node
/// per interval. A `NOTIFY` that is lost (the database went away just then) costs at most the engines' fallback poll:
/// an idle engine looks for due work at least once a second.
final class WorkNotifier: Sendable {
    /// The least time between two notifications from this node.
    static let interval: Duration = .milliseconds(5)

    private let requested = Atomic<Bool>(false)
    private let signal = WorkSignal()

    /// Asks for a notification (cheap; many requests before it goes out make one).
    func request() {
        if !requested.exchange(true, ordering: .relaxed) { signal.wake() }
    }

    /// Sends the notifications asked for, until cancelled.
    func run(store: PostgresStore) async {
        let statement = PostgresQuery(unsafeSQL: "SELECT pg_notify('\(PostgresStore.workChannel)', '\(store.nodeID)')")
        while !Task.isCancelled {
            await signal.wait()
            guard requested.exchange(false, ordering: .relaxed) else { continue }
            do {
                _ = try await store.execute(statement)
            } catch {
                store.logger.debug("NOTIFY failed", metadata: ["error": "\(PostgresStore.describe(error))"])
            }
            try? await Task.sleep(for: Self.interval)
        }
    }
}
