//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import Testing

/// Builders for the models the tests store, with defaults for everything a test does not care about.
enum Make {
    static let org = OrganizationID.default
    static let otherOrg = OrganizationID(rawValue: "org_2other0000000000000000000")!

    static func application(
        org: OrganizationID = Make.org,
        uid: String? = nil,
        name: String = "app",
        at: Timestamp = .now
    )
        -> Application
    {
        Application(
            id: .generate(at: at),
            orgID: org,
            uid: uid,
            name: name,
            throttleRate: nil,
            metadata: ["k": "v"],
            createdAt: at,
            updatedAt: at
        )
    }

    static func eventType(_ name: String, org: OrganizationID = Make.org, archived: Bool = false) -> EventType {
        let now = Timestamp.now
        return EventType(
            orgID: org,
            name: name,
            description: "about \(name)",
            archived: archived,
            deprecated: false,
            schemas: nil,
            featureFlag: nil,
            createdAt: now,
            updatedAt: now
        )
    }

    static func endpoint(
        _ app: Application,
        uid: String? = nil,
        eventTypes: [String]? = nil,
        channels: [String]? = nil,
        disabled: Bool = false
    ) -> Endpoint {
        let now = Timestamp.now
        return Endpoint(
            id: .generate(at: now),
            appID: app.id,
            orgID: app.orgID,
            uid: uid,
            url: "https://example.com/hook",
            description: "an endpoint",
            disabled: disabled,
            eventTypes: eventTypes,
            channels: channels,
            throttleRate: nil,
            metadata: ["team": "a"],
            secret: .generate(),
            headers: ["X-Test": "1"],
            createdAt: now,
            updatedAt: now
        )
    }

    static func message(
        _ app: Application,
        eventType: String = "user.created",
        eventID: String? = nil,
        channels: [String]? = nil,
        idempotencyKey: String? = nil,
        at: Timestamp = .now
    ) -> Message {
        Message(
            id: .generate(at: at),
            appID: app.id,
            orgID: app.orgID,
            eventType: eventType,
            eventID: eventID,
            channels: channels,
            payload: Array(#"{"a":1}"#.utf8),
            retentionDays: 90,
            createdAt: at,
            idempotencyKey: idempotencyKey
        )
    }

    static func attempt(_ delivery: ClaimedDelivery, status: MessageStatus, code: Int, at: Timestamp) -> MessageAttempt
    {
        MessageAttempt(
            id: .generate(at: at),
            messageID: delivery.message.id,
            endpointID: delivery.endpoint.id,
            appID: delivery.message.appID,
            orgID: delivery.message.orgID,
            url: delivery.endpoint.url,
            response: "ok",
            responseStatusCode: code,
            responseDurationMs: 12,
            status: status,
            trigger: delivery.trigger,
            timestamp: at
        )
    }

    static func completion(
        _ delivery: ClaimedDelivery,
        outcome: DeliveryOutcome,
        code: Int = 200,
        gone: Bool = false,
        at: Timestamp,
        disableAfter: Duration = .seconds(5 * 86_400)
    ) -> DeliveryCompletion {
        let status: MessageStatus =
            switch outcome {
            case .succeeded: .success
            case .retry: .pending
            case .failed: .fail
            }
        return DeliveryCompletion(
            deliveryID: delivery.id,
            attempt: attempt(delivery, status: status, code: code, at: at),
            outcome: outcome,
            gone: gone,
            disablePolicy: DisablePolicy(disableAfter: disableAfter)
        )
    }
}

/// Asserts that `body` throws a ``StorageError`` matching `check`.
func expectStorageError(
    _ check: (StorageError) -> Bool,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected a StorageError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as StorageError {
        #expect(check(error), "unexpected \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a StorageError, got \(String(reflecting: error))", sourceLocation: sourceLocation)
    }
}
