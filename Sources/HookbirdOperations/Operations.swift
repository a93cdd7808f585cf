//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
public import Logging

/// The state-changing operations that both the `/api/v1` controllers and the dashboard perform: resend a message,
/// recover or replay an endpoint's deliveries, enable or disable it, rotate its secret, replay a source's request.
///
/// Each one checks what the API checks and sends the operational webhooks the API sends, so a button in the
/// dashboard does exactly what the matching API call does. Errors are ``OperationsError`` or ``OperationsError``.
///
/// ```swift
/// let operations = Operations(store: store)
/// try await operations.resend(message, to: endpoint)
/// ```
public struct Operations: Sendable {
    package let store: any HookbirdStore
    package var events: OperationalWebhooks { OperationalWebhooks(store: store) }

    public init(store: any HookbirdStore) { self.store = store }

    /// Queues one manual attempt of the message to the endpoint (never retried). A disabled endpoint is skipped
    /// silently, as in Svix.
    /// - Throws: ``OperationsError`` 400 `missing_payload` when the message's payload has expired.
    public func resend(_ message: Message, to endpoint: Endpoint) async throws {
        if message.createdAt.adding(seconds: Int64(message.retentionDays) * 86_400) < .now {
            throw OperationsError.rejected(
                "missing_payload",
                "Unable to resend message. Payload is missing (probably expired)."
            )
        }
        if !endpoint.disabled {
            try await store.enqueueManualDelivery(message: message, endpoint: endpoint, now: .now)
        }
    }

    /// Sends an `endpoint.*` operational webhook about an endpoint; a failure is logged, not thrown, since the
    /// change it reports has been made. Endpoints of the management organisation (operational webhook endpoints
    /// themselves) send none.
    public func emit(_ type: String, _ endpoint: Endpoint, application: HookbirdCore.Application, logger: Logger) async
    {
        do {
            try await events.emit(
                type,
                org: application.orgID,
                data: OperationalWebhooks.endpointData(endpoint, application: application)
            )
        } catch {
            logger.error("sending an operational webhook failed", metadata: ["error": "\(error)"])
        }
    }
}
