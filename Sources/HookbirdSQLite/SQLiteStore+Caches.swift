//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Synchronization

/// The live (not deleted, not disabled) endpoints that fan-out and claims read, kept between writer jobs: by
/// application, and by id. Every job that changes an endpoint clears it.
final class FanOutCache: Sendable {
    private let entries = Mutex<(byApp: [String: [Endpoint]], byID: [String: Endpoint])>(([:], [:]))

    /// The application's live endpoints, if they were read since the last change.
    func targets(_ app: String) -> [Endpoint]? { entries.withLock { $0.byApp[app] } }

    func store(_ targets: [Endpoint], for app: String) {
        entries.withLock { entries in
            if entries.byApp.count >= 10_000 || entries.byID.count >= 50_000 { entries = ([:], [:]) }
            entries.byApp[app] = targets
            for endpoint in targets { entries.byID[endpoint.id.rawValue] = endpoint }
        }
    }

    /// The live endpoint with this id, if it was read since the last change.
    func endpoint(_ id: String) -> Endpoint? { entries.withLock { $0.byID[id] } }

    func store(live endpoint: Endpoint) {
        entries.withLock { entries in
            if entries.byID.count >= 50_000 { entries = ([:], [:]) }
            entries.byID[endpoint.id.rawValue] = endpoint
        }
    }

    func clear() { entries.withLock { $0 = ([:], [:]) } }
}

/// The messages inserted last, oldest dropped first, up to a total payload size and count.
final class RecentMessages: Sendable {
    private struct State {
        var messages: [String: Message] = [:]
        var order: [String] = []
        var head = 0
        var bytes = 0
    }

    private let state = Mutex(State())
    private let maxBytes: Int
    private let maxCount: Int

    init(maxBytes: Int = 32 << 20, maxCount: Int = 50_000) {
        self.maxBytes = maxBytes
        self.maxCount = maxCount
    }

    func message(_ id: String) -> Message? { state.withLock { $0.messages[id] } }

    func insert(_ messages: [Message]) {
        state.withLock { state in
            for message in messages {
                guard state.messages.updateValue(message, forKey: message.id.rawValue) == nil else { continue }
                state.order.append(message.id.rawValue)
                state.bytes += message.payload.count
            }
            while state.messages.count > maxCount || state.bytes > maxBytes, state.head < state.order.count {
                if let old = state.messages.removeValue(forKey: state.order[state.head]) {
                    state.bytes -= old.payload.count
                }
                state.head += 1
            }
            if state.head > 4096, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }
}

/// Rows found by key and kept until the next change. This process is the database's only writer, so every change
/// goes through it and clears the cache; a clear bumps the generation, so a read that raced with a change does not
/// put the old row back. Misses are not kept.
final class ReadCache<Value: Sendable>: Sendable {
    private let state = Mutex<(generation: Int, entries: [String: Value])>((0, [:]))

    /// The kept value for `key`, or what `read` finds (kept unless the cache was cleared meanwhile).
    func value(_ key: String, read: () async throws -> Value?) async throws -> Value? {
        let (generation, cached) = state.withLock { ($0.generation, $0.entries[key]) }
        if let cached { return cached }
        guard let found = try await read() else { return nil }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= 10_000 { state.entries.removeAll() }
            state.entries[key] = found
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

/// A set of endpoint ids shared between tasks.
final class EndpointSet: Sendable {
    private let ids = Mutex<Set<String>>([])

    func insert(_ id: String) { _ = ids.withLock { $0.insert(id) } }

    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }

    /// Removes the id; `true` when it was there.
    func remove(_ id: String) -> Bool { ids.withLock { $0.remove(id) != nil } }

    func replace(with ids: [String]) { self.ids.withLock { $0 = Set(ids) } }
}
