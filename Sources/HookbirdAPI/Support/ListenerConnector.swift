//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

/// What the `/listen` routes need from the listeners connected to this process: connect a listener to a stream
/// endpoint and get what to send it, and hand back its answer to a webhook.
///
/// The API declares it and the delivery side implements it (`ListenerHub` in HookbirdDelivery; the conformance is
/// declared by the composition root, HookbirdServer), so the API does not depend on the delivery engine. The delivery
/// engine must reach stream endpoints through the same connector the API is given.
///
/// ```swift
/// let connection = connector.connect(endpoint: endpoint.id)
/// for await event in connection.events { … }   // write each event to the client
/// connection.close()
/// ```
public protocol ListenerConnector: Sendable {
    /// Most bytes of a listener-reported response body kept, as for a response over HTTP.
    var maxResponseBytes: Int { get }

    /// Connects a listener to a stream endpoint. A listener already connected to it is disconnected (its stream
    /// ends with ``ListenerStreamEvent/replaced``).
    /// - Returns: The connection; it must be closed when the client goes.
    func connect(endpoint: EndpointID) -> ListenerConnection

    /// Whether a listener is connected to the endpoint in this process.
    func isConnected(_ endpoint: EndpointID) -> Bool

    /// Hands in a listener's answer to the webhook sent under `token`.
    /// - Returns: `false` when no webhook of that endpoint waits under that token (it timed out, or its listener
    ///   disconnected meanwhile).
    func complete(token: String, endpoint: EndpointID, answer: ListenerAnswer) -> Bool
}

/// One listener's connection, from ``ListenerConnector/connect(endpoint:)``.
public struct ListenerConnection: Sendable {
    /// What to send to the client, in order; ends when the connection is closed or replaced.
    public let events: any AsyncSequence<ListenerStreamEvent, Never> & Sendable
    private let onHeartbeat: @Sendable () -> Void
    private let onClose: @Sendable () -> Void

    /// - Parameters:
    ///   - events: What to send to the client.
    ///   - heartbeat: Puts a ``ListenerStreamEvent/heartbeat`` on `events`.
    ///   - close: Disconnects: `events` ends and the webhooks not yet answered fail.
    public init(
        events: any AsyncSequence<ListenerStreamEvent, Never> & Sendable,
        heartbeat: @escaping @Sendable () -> Void,
        close: @escaping @Sendable () -> Void
    ) {
        self.events = events
        self.onHeartbeat = heartbeat
        self.onClose = close
    }

    /// Puts a ``ListenerStreamEvent/heartbeat`` on the stream.
    public func heartbeat() { onHeartbeat() }

    /// Disconnects: the stream ends and the webhooks not yet answered fail (and are retried later).
    public func close() { onClose() }
}

/// What a connected listener is sent.
public enum ListenerStreamEvent: Sendable {
    /// A signed webhook; the listener answers with ``ListenerConnector/complete(token:endpoint:answer:)`` under
    /// `token`.
    case webhook(token: String, ListenerWebhook)
    /// Nothing to do; sent now and then so proxies keep the stream open and a dead client is noticed.
    case heartbeat
    /// The last event of a stream whose endpoint another listener has taken over.
    case replaced
}

/// A signed webhook request for a listener to forward as it is.
public struct ListenerWebhook: Sendable {
    /// The message sent.
    public var messageID: String?
    /// The message's event type.
    public var eventType: String?
    /// Headers in order, names as given (signature headers included).
    public var headers: [(String, String)]
    /// The payload.
    public var body: [UInt8]

    public init(messageID: String?, eventType: String?, headers: [(String, String)], body: [UInt8]) {
        self.messageID = messageID
        self.eventType = eventType
        self.headers = headers
        self.body = body
    }
}

/// A listener's report on one webhook.
public enum ListenerAnswer: Sendable {
    /// The local receiver answered: its status, `Retry-After` and the first bytes of its body.
    case response(status: Int, retryAfter: String?, body: [UInt8])
    /// The local receiver could not be reached.
    case failure(String)
}
