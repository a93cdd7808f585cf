//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import Synchronization

/// What this node's delivery engine is doing for an endpoint now: requests in flight, the limit it is held to, and
/// its timeouts in a row (each halves the limit). Read by the API's endpoint stats and the dashboard; the engine
/// answers on demand (``attach(_:)``), so keeping it costs the delivery path nothing.
public struct EndpointLoadSnapshot: Sendable, Hashable {
    public var inFlight: Int
    public var limit: Int
    public var timeoutsInARow: Int
    /// Deliveries waiting in this node for a slot of the endpoint.
    public var waiting: Int

    public init(inFlight: Int, limit: Int, timeoutsInARow: Int, waiting: Int) {
        self.inFlight = inFlight
        self.limit = limit
        self.timeoutsInARow = timeoutsInARow
        self.waiting = waiting
    }
}

/// Where the API and the dashboard ask the delivery engine of this process about an endpoint. Without an engine
/// running (an `api` node), every answer is `nil`.
public final class EndpointActivity: Sendable {
    public typealias Source = @Sendable (EndpointID) -> EndpointLoadSnapshot
    private let source = Mutex<Source?>(nil)

    public init() {}

    /// The engine answers from now on (until ``detach()``).
    public func attach(_ answer: @escaping Source) {
        source.withLock { $0 = answer }
    }

    public func detach() {
        source.withLock { $0 = nil }
    }

    /// The endpoint's load in this node's engine, or `nil` when no engine runs here.
    public func load(_ endpoint: EndpointID) -> EndpointLoadSnapshot? {
        source.withLock { $0 }?(endpoint)
    }
}
