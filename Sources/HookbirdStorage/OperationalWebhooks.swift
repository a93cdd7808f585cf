//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

/// Operational webhooks, as Svix defines them: events about an organisation's own endpoints and deliveries
/// (`endpoint.created`, `endpoint.disabled`, `message.attempt.exhausted`, …), sent to the endpoints the
/// organisation registered with `/api/v1/operational-webhook/endpoint`.
///
/// As in svix-server, they are ordinary messages in a management organisation, in the application whose uid is the
/// recipient organisation's id, so they are signed, retried and recorded by the same delivery engine.
public struct OperationalWebhooks: Sendable {
    /// svix-server's management organisation.
    public static let managementOrg = OrganizationID(rawValue: "org_00000000000SvixManagement00")!

    public static let eventTypes = [
        "endpoint.created", "endpoint.updated", "endpoint.deleted", "endpoint.disabled", "message.attempt.exhausted",
        "message.attempt.failing", "message.attempt.recovered",
    ]

    let store: any HookbirdStore

    public init(store: any HookbirdStore) { self.store = store }

    /// The management application that holds an organisation's operational webhook endpoints, created on first use
    /// when `create` is set.
    public func application(for org: OrganizationID, create: Bool) async throws -> Application? {
        if let existing = try await store.application(org: Self.managementOrg, idOrUID: org.rawValue) {
            return existing
        }
        guard create else { return nil }
        let now = Timestamp.now
        let application = Application(
            id: .generate(at: now),
            orgID: Self.managementOrg,
            uid: org.rawValue,
            name: "Operational webhooks of \(org.rawValue)",
            throttleRate: nil,
            metadata: [:],
            createdAt: now,
            updatedAt: now
        )
        do {
            try await store.insertApplication(application)
            return application
        } catch let error as StorageError where error.isDuplicate {
            return try await store.application(org: Self.managementOrg, idOrUID: org.rawValue)
        }
    }

    /// Sends one operational webhook to the organisation's operational endpoints, if it has any.
    /// - Parameters:
    ///   - type: The event type, e.g. `endpoint.disabled`.
    ///   - org: The organisation the event is about.
    ///   - data: The event's `data` object.
    public func emit(_ type: String, org: OrganizationID, data: [String: JSONValue]) async throws {
        guard org != Self.managementOrg, let application = try await application(for: org, create: false) else {
            return
        }
        let now = Timestamp.now
        let payload = JSONValue.object(["type": .string(type), "timestamp": .string(now.description), "data": .object(data)])
        try await store.insertMessage(
            Message(
                id: .generate(at: now),
                appID: application.id,
                orgID: Self.managementOrg,
                eventType: type,
                eventID: nil,
                channels: nil,
                payload: payload.canonicalBytes(),
                retentionDays: 90,
                createdAt: now
            )
        )
    }

    /// `data` for the `endpoint.*` events.
    public static func endpointData(_ endpoint: Endpoint, application: Application?) -> [String: JSONValue] {
        [
            "appId": .string(endpoint.appID.rawValue),
            "appUid": application?.uid.map(JSONValue.string) ?? .null,
            "endpointId": .string(endpoint.id.rawValue),
            "endpointUid": endpoint.uid.map(JSONValue.string) ?? .null,
        ]
    }

    /// `data` for the `message.attempt.*` events.
    public static func attemptData(_ attempt: MessageAttempt, message: Message, application: Application?)
        -> [String: JSONValue]
    {
        [
            "appId": .string(message.appID.rawValue),
            "appUid": application?.uid.map(JSONValue.string) ?? .null,
            "msgId": .string(message.id.rawValue),
            "msgEventId": message.eventID.map(JSONValue.string) ?? .null,
            "endpointId": .string(attempt.endpointID.rawValue),
            "lastAttempt": .object([
                "id": .string(attempt.id.rawValue),
                "responseStatusCode": .int(Int64(attempt.responseStatusCode)),
                "timestamp": .string(attempt.timestamp.description),
            ]),
        ]
    }
}
