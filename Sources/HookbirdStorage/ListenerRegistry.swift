//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

/// Where listeners (`hookbird listen`) are connected, for a database several nodes share: a listener's stream
/// lives in the process it is connected to, so only that node's delivery engine can reach it. While a listener is
/// registered here, the other nodes leave its endpoint's deliveries alone (they neither claim them nor wake up for
/// them), and the node it is connected to claims them.
public protocol ListenerRegistry: Sendable {
    /// Records that the listener of `endpoint` is connected to this process until `until`; renewed while it stays
    /// connected. Takes the endpoint over from another node.
    func registerListener(_ endpoint: EndpointID, until: Timestamp) async throws
    /// Extends this process's registration of `endpoint` to `until` (recording it again if it is gone); nothing when
    /// another node has taken it over.
    func renewListener(_ endpoint: EndpointID, until: Timestamp) async throws
    /// Forgets the registration of `endpoint`, if it is still this process's.
    func unregisterListener(_ endpoint: EndpointID) async throws
}
