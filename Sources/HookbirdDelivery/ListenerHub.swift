//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
public import HookbirdCore
import Synchronization

/// What a connected listener is sent: a webhook to forward, or a keep-alive.
public enum ListenerEvent: Sendable {
    /// A signed webhook; the listener answers with ``ListenerHub/complete(token:endpoint:result:)`` under `token`.
    case delivery(token: String, webhook: OutgoingWebhook)
    /// Nothing to do; sent now and then so proxies keep the stream open and a dead client is noticed.
    case heartbeat
    /// The last event of a stream whose endpoint another listener has taken over; the client should not reconnect.
    case replaced
}

/// The listeners (`hookbird listen`) connected to this process, one per stream endpoint at most, and the
/// deliveries waiting for their answers.
///
/// A listener is an ordinary endpoint of its application whose URL is `hookbird-listen://<endpoint id>`
/// (``url(for:)``), so fan-out filters, signing, attempts, retries and statistics apply to it as to any other. The
/// delivery engine reaches it through ``ListenerRoutingTransport``: the signed request goes down the listener's
/// stream as a ``ListenerEvent/delivery(token:webhook:)`` and the engine waits for the answer the listener posts
/// back. With no listener connected the attempt fails at once ("listener not connected") and the retry schedule
/// applies, as for an endpoint that is down.
///
/// ```swift
/// let hub = ListenerHub()
/// let session = hub.attach(endpoint: endpoint.id)     // the stream handler
/// for await event in session.events { … }             // write each event to the client
/// session.close()
/// ```
public final class ListenerHub: Sendable {
    /// The URL scheme of stream endpoints (``StreamEndpoint/scheme``).
    public static let scheme = StreamEndpoint.scheme

    private struct Connection {
        var id: Int
        var continuation: AsyncStream<ListenerEvent>.Continuation
    }

    private struct Pending {
        var endpoint: EndpointID
        var connection: Int
        var continuation: CheckedContinuation<TransportResult, Never>
    }

    private struct State {
        var nextConnection = 0
        var connections: [EndpointID: Connection] = [:]
        var pending: [String: Pending] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The URL of the stream endpoint with this id (``StreamEndpoint/url(for:)``).
    public static func url(for endpoint: EndpointID) -> String { StreamEndpoint.url(for: endpoint) }

    /// The endpoint a stream-endpoint URL names, or `nil` for any other URL (``StreamEndpoint/endpoint(inURL:)``).
    public static func endpoint(inURL url: String) -> EndpointID? { StreamEndpoint.endpoint(inURL: url) }

    /// Connects a listener to an endpoint. A listener already connected to it is disconnected: its stream ends and
    /// the deliveries it had not answered fail.
    /// - Returns: The session; its ``ListenerSession/events`` are what to send to the client, and it must be closed
    ///   when the client goes.
    public func attach(endpoint: EndpointID) -> ListenerSession {
        let (events, continuation) = AsyncStream.makeStream(of: ListenerEvent.self)
        let (id, replaced, orphans) = state.withLock { state in
            state.nextConnection += 1
            let id = state.nextConnection
            let replaced = state.connections.updateValue(Connection(id: id, continuation: continuation), forKey: endpoint)
            let orphans = replaced.map { Self.removePending(&state, endpoint: endpoint, connection: $0.id) } ?? []
            return (id, replaced, orphans)
        }
        if let replaced {
            replaced.continuation.yield(.replaced)
            replaced.continuation.finish()
        }
        for orphan in orphans { orphan.resume(returning: .failure("listener replaced by a new connection")) }
        return ListenerSession(hub: self, endpoint: endpoint, connection: id, events: events)
    }

    /// Whether a listener is connected to the endpoint.
    public func isConnected(_ endpoint: EndpointID) -> Bool {
        state.withLock { $0.connections[endpoint] != nil }
    }

    /// Sends a webhook to the listener of `endpoint` and waits for its answer.
    /// - Returns: The listener's answer; `.failure` when no listener is connected or it goes away first, `.timeout`
    ///   when it does not answer within `timeout`.
    public func send(_ webhook: OutgoingWebhook, to endpoint: EndpointID, timeout: Duration) async -> TransportResult {
        let token = Self.makeToken()
        return await withTaskGroup(of: TransportResult.self) { group in
            group.addTask { await self.exchange(webhook, token: token, endpoint: endpoint) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timeout("the listener did not answer within \(timeout)")
            }
            let first = await group.next() ?? .timeout("cancelled")
            group.cancelAll()
            return first
        }
    }

    /// Hands in a listener's answer to the delivery sent under `token`.
    /// - Returns: `false` when no delivery of that endpoint waits under that token (it timed out, or its
    ///   listener disconnected meanwhile).
    @discardableResult
    public func complete(token: String, endpoint: EndpointID, result: TransportResult) -> Bool {
        let waiter = state.withLock { state -> CheckedContinuation<TransportResult, Never>? in
            guard let pending = state.pending[token], pending.endpoint == endpoint else { return nil }
            state.pending[token] = nil
            return pending.continuation
        }
        waiter?.resume(returning: result)
        return waiter != nil
    }

    /// Ends a connection, if it is still the endpoint's, and fails what it had not answered.
    func detach(endpoint: EndpointID, connection: Int, reason: String) {
        let (ended, orphans) = state.withLock { state in
            guard state.connections[endpoint]?.id == connection else {
                return (Connection?.none, [CheckedContinuation<TransportResult, Never>]())
            }
            return (
                state.connections.removeValue(forKey: endpoint),
                Self.removePending(&state, endpoint: endpoint, connection: connection)
            )
        }
        ended?.continuation.finish()
        for orphan in orphans { orphan.resume(returning: .failure(reason)) }
    }

    /// Takes the deliveries waiting for one connection's answers out of the state.
    private static func removePending(
        _ state: inout State,
        endpoint: EndpointID,
        connection: Int
    ) -> [CheckedContinuation<TransportResult, Never>] {
        let tokens = state.pending.filter { $0.value.endpoint == endpoint && $0.value.connection == connection }.keys
        return tokens.compactMap { state.pending.removeValue(forKey: $0)?.continuation }
    }

    /// Puts a heartbeat on a connection's stream, if it is still the endpoint's.
    func heartbeat(endpoint: EndpointID, connection: Int) {
        state.withLock { state in
            guard let current = state.connections[endpoint], current.id == connection else { return }
            current.continuation.yield(.heartbeat)
        }
    }

    /// Queues the webhook on the listener's stream and waits for the answer; cancellation (the deadline) gives up.
    private func exchange(_ webhook: OutgoingWebhook, token: String, endpoint: EndpointID) async -> TransportResult {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<TransportResult, Never>) in
                let immediate = state.withLock { state -> TransportResult? in
                    if Task.isCancelled { return .timeout("cancelled") }
                    guard let connection = state.connections[endpoint] else { return .failure("listener not connected") }
                    state.pending[token] = Pending(endpoint: endpoint, connection: connection.id, continuation: continuation)
                    connection.continuation.yield(.delivery(token: token, webhook: webhook))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.pending.removeValue(forKey: token)?.continuation }
            waiter?.resume(returning: .timeout("the listener did not answer in time"))
        }
    }

    static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// One listener's connection to a ``ListenerHub``.
public struct ListenerSession: Sendable {
    let hub: ListenerHub
    public let endpoint: EndpointID
    let connection: Int
    /// What to send to the client, in order; ends when the session is closed or replaced.
    public let events: AsyncStream<ListenerEvent>

    /// Puts a ``ListenerEvent/heartbeat`` on the stream.
    public func heartbeat() {
        hub.heartbeat(endpoint: endpoint, connection: connection)
    }

    /// Disconnects: the stream ends and the deliveries not yet answered fail (and are retried later).
    public func close() {
        hub.detach(endpoint: endpoint, connection: connection, reason: "listener disconnected")
    }
}
