//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore

/// Sends webhooks for stream endpoints (`hookbird-listen://…`) to their listener through a ``ListenerHub``, and
/// every other webhook through another transport (``HTTPDeliveryTransport`` in production).
///
/// The SSRF guard does not apply to stream endpoints: nothing is connected to, the listener fetched the request.
///
/// ```swift
/// let transport = ListenerRoutingTransport(hub: hub, other: HTTPDeliveryTransport(egress: egress, maxConnectionsPerHost: 32))
/// ```
public struct ListenerRoutingTransport: DeliveryTransport {
    let hub: ListenerHub
    let other: any DeliveryTransport

    /// - Parameters:
    ///   - hub: The listeners connected to this process.
    ///   - other: What sends every webhook that is not for a stream endpoint.
    public init(hub: ListenerHub, other: any DeliveryTransport) {
        self.hub = hub
        self.other = other
    }

    public func send(_ webhook: OutgoingWebhook, timeout: Duration) async -> TransportResult {
        if let endpoint = webhook.kind.listener {
            return await hub.send(webhook, to: endpoint, timeout: timeout)
        }
        return await other.send(webhook, timeout: timeout)
    }

    public func shutdown() async {
        await other.shutdown()
    }
}
