//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

/// One webhook request, ready to send.
public struct OutgoingWebhook: Sendable {
    public var url: String
    /// Headers in order, names as given.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The message sent, for transports that show it (``ListenerHub``); not sent as such.
    public var messageID: String?
    /// The message's event type, for transports that show it; not sent as such.
    public var eventType: String?
    /// How the endpoint is reached (``ListenerRoutingTransport`` routes by it).
    public var kind: EndpointKind

    /// - Parameter kind: The endpoint's kind (``Endpoint/kind``); told from `url` when not given.
    public init(
        url: String,
        headers: [(String, String)],
        body: [UInt8],
        messageID: String? = nil,
        eventType: String? = nil,
        kind: EndpointKind? = nil
    ) {
        self.url = url
        self.headers = headers
        self.body = body
        self.messageID = messageID
        self.eventType = eventType
        self.kind = kind ?? EndpointKind(url: url)
    }
}

/// What came back.
public enum TransportResult: Sendable {
    /// An HTTP response: its status, `Retry-After` and the first bytes of its body.
    case response(status: Int, retryAfter: String?, body: [UInt8])
    /// No response before the deadline.
    case timeout(String)
    /// The destination may not be contacted (SSRF guard).
    case blocked(String)
    /// Connection refused, reset, DNS or TLS failure.
    case failure(String)
}

/// Sends webhook requests; the delivery service does not care how.
public protocol DeliveryTransport: Sendable {
    /// Sends one request; never throws: every failure is a ``TransportResult``.
    func send(_ webhook: OutgoingWebhook, timeout: Duration) async -> TransportResult
    /// Closes connections.
    func shutdown() async
}
