//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdStorage
import ServiceLifecycle
import Synchronization

/// A store running (its `run()`, as the server's service group runs it) until ``stop()``, which waits until it has
/// closed its database.
public final class RunningStore: Sendable {
    public let store: any HookbirdStore
    private let task: Task<Void, any Error>

    public init(_ store: any HookbirdStore) {
        self.store = store
        task = Task { try await store.run() }
    }

    /// Stops the store and waits until it has closed its database.
    public func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// The stores tests started with ``HookbirdStore/started()``, until they ``HookbirdStore/close()`` them.
private let running = Mutex<[ObjectIdentifier: RunningStore]>([:])

extension HookbirdStore where Self: AnyObject {
    /// Starts running the store (for tests written as open … use … close); returns it.
    public func started() -> Self {
        let runner = RunningStore(self)
        running.withLock { $0[ObjectIdentifier(self)] = runner }
        return self
    }

    /// Stops a store started with ``started()`` and waits until it has closed its database.
    public func close() async throws {
        let runner = running.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }
        await runner?.stop()
    }
}
