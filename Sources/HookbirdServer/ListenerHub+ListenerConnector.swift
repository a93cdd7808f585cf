//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdAPI
public import HookbirdCore
public import HookbirdDelivery

/// The delivery engine's ``ListenerHub`` is what the API's `/listen` routes connect listeners to. The conformance
/// lives here, in the composition root, because HookbirdAPI must not depend on HookbirdDelivery (nor the other way
/// round); ``HookbirdServer/buildApplication(configuration:store:jwtSecret:logger:onServerRunning:)`` gives the one
/// hub to both.
extension ListenerHub: ListenerConnector {
    /// As many bytes as ``HTTPDeliveryTransport`` keeps of a response.
    public var maxResponseBytes: Int { HTTPDeliveryTransport.maxResponseBytes }

    public func connect(endpoint: EndpointID) -> ListenerConnection {
        let session = attach(endpoint: endpoint)
        return ListenerConnection(
            events: session.events.map(ListenerStreamEvent.init),
            heartbeat: { session.heartbeat() },
            close: { session.close() }
        )
    }

    public func complete(token: String, endpoint: EndpointID, answer: ListenerAnswer) -> Bool {
        let result: TransportResult =
            switch answer {
            case .response(let status, let retryAfter, let body): .response(status: status, retryAfter: retryAfter, body: body)
            case .failure(let reason): .failure(reason)
            }
        return complete(token: token, endpoint: endpoint, result: result)
    }
}

extension ListenerStreamEvent {
    /// The API's view of an event of a ``ListenerSession``.
    init(_ event: ListenerEvent) {
        switch event {
        case .delivery(let token, let webhook):
            self = .webhook(
                token: token,
                ListenerWebhook(
                    messageID: webhook.messageID,
                    eventType: webhook.eventType,
                    headers: webhook.headers,
                    body: webhook.body
                )
            )
        case .heartbeat:
            self = .heartbeat
        case .replaced:
            self = .replaced
        }
    }
}
