//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Synchronization

/// Rows this node read lately, by key, each kept for `lifetime`: for reads whose answer may be a few seconds old
/// because what uses it checks the row again where it matters. Other nodes change the database too, so nothing is
/// kept for long; this node's own changes clear it. Misses are not kept.
final class RecentReads<Value: Sendable>: Sendable {
    private struct State {
        var generation = 0
        var entries: [String: (value: Value, until: ContinuousClock.Instant)] = [:]
    }

    private let state = Mutex(State())
    private let lifetime: Duration

    init(lifetime: Duration) { self.lifetime = lifetime }

    /// The value kept for `key` if it is fresh enough, or what `read` finds (kept unless the cache was cleared
    /// meanwhile).
    func value(_ key: String, read: () async throws -> Value?) async throws -> Value? {
        let now = ContinuousClock.now
        let (generation, kept) = state.withLock { state in
            (state.generation, state.entries[key].flatMap { $0.until > now ? $0.value : nil })
        }
        if let kept { return kept }
        guard let found = try await read() else { return nil }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= 10_000 { state.entries.removeAll() }
            state.entries[key] = (found, now + lifetime)
        }
        return found
    }

    func clear() {
        state.withLock { state in
            state.generation += 1
            state.entries.removeAll()
        }
    }
}
