//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import Logging

/// What the engine sends: the signed request of an attempt, and the operational webhooks an attempt calls for.
extension DeliveryService {
    static var webhookHeaders: (id: String, timestamp: String, signature: String) {
        ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    static var svixHeaders: (id: String, timestamp: String, signature: String) {
        ("svix-id", "svix-timestamp", "svix-signature")
    }

    /// The signed request for an attempt made at `now`.
    func request(for delivery: ClaimedDelivery, at now: Timestamp) -> OutgoingWebhook {
        let body = delivery.message.payload
        let timestamp = now.unixSeconds
        let signature = WebhookSigner.signature(
            id: delivery.message.id.rawValue,
            timestamp: timestamp,
            body: body,
            secrets: delivery.endpoint.signingSecrets(at: now)
        )
        let names = configuration.signatureHeaders == .svix ? Self.svixHeaders : Self.webhookHeaders
        var headers: [(String, String)] = []
        headers.reserveCapacity(delivery.endpoint.headers.count + 5)
        if !delivery.endpoint.headers.isEmpty {
            headers += delivery.endpoint.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        headers += [
            ("content-type", "application/json"),
            ("user-agent", configuration.userAgent),
            (names.id, delivery.message.id.rawValue),
            (names.timestamp, String(timestamp)),
            (names.signature, signature),
        ]
        return OutgoingWebhook(
            url: delivery.endpoint.url,
            headers: headers,
            body: body,
            messageID: delivery.message.id.rawValue,
            eventType: delivery.message.eventType,
            kind: delivery.endpoint.kind
        )
    }

    /// Sends the operational webhooks an attempt calls for (``DeliveryTransition/operationalEvents(outcome:trigger:attempts:)``),
    /// and `endpoint.disabled` when recording it disabled the endpoint. Management messages send none.
    func emitOperationalWebhooks(
        _ delivery: ClaimedDelivery,
        attempt: MessageAttempt,
        outcome: DeliveryOutcome,
        effects: CompletionEffects,
        attempts: Int
    ) async {
        let message = delivery.message
        guard message.orgID != OperationalWebhooks.managementOrg else { return }
        let events = DeliveryTransition.operationalEvents(outcome: outcome, trigger: delivery.trigger, attempts: attempts)
        guard !events.isEmpty || effects.disabledEndpoint else { return }
        do {
            let application = try await bounded { store, _ in
                try await store.application(org: message.orgID, idOrUID: message.appID.rawValue)
            }
            let operational = self.operational
            let limit = configuration.storageTimeout ?? .seconds(20)
            for event in events {
                let data = OperationalWebhooks.attemptData(attempt, message: message, application: application)
                try await withStorageDeadline(limit) {
                    try await operational.emit(event, org: message.orgID, data: data)
                }
            }
            if effects.disabledEndpoint {
                var data = OperationalWebhooks.endpointData(delivery.endpoint, application: application)
                data["failSince"] = effects.failingSince.map { .string($0.description) } ?? .null
                let payload = data
                try await withStorageDeadline(limit) {
                    try await operational.emit("endpoint.disabled", org: message.orgID, data: payload)
                }
                logger.warning("endpoint disabled", metadata: ["hookbird.endpoint_id": "\(delivery.endpoint.id)"])
            }
        } catch {
            logger.error("sending an operational webhook failed", metadata: ["error": "\(error)"])
        }
    }
}
