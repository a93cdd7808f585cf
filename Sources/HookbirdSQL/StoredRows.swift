//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
package import HookbirdCore
package import HookbirdStorage
package import SQLKit

/// The column lists and row decoders shared by the backends: every backend stores a model in columns of the same
/// names and meaning.
package enum StoredRows {
    package static let applicationColumns = "id, org_id, uid, name, throttle_rate, metadata, created_at, updated_at"

    package static func application(_ row: some SQLRow) -> Application {
        Application(
            id: ApplicationID(unchecked: row.string("id")),
            orgID: OrganizationID(rawValue: row.string("org_id")) ?? .default,
            uid: row.optionalString("uid"),
            name: row.string("name"),
            throttleRate: row.optionalInt("throttle_rate"),
            metadata: row.json([String: String].self, "metadata") ?? [:],
            createdAt: row.time("created_at"),
            updatedAt: row.time("updated_at")
        )
    }

    package static let eventTypeColumns =
        "org_id, name, description, archived, deprecated, schemas, feature_flag, created_at, updated_at"

    package static func eventType(_ row: some SQLRow) -> EventType {
        EventType(
            orgID: OrganizationID(rawValue: row.string("org_id")) ?? .default,
            name: row.string("name"),
            description: row.string("description"),
            archived: row.bool("archived"),
            deprecated: row.bool("deprecated"),
            schemas: row.optionalString("schemas").flatMap(JSONValue.parse),
            featureFlag: row.optionalString("feature_flag"),
            createdAt: row.time("created_at"),
            updatedAt: row.time("updated_at")
        )
    }

    package static let endpointColumns = """
        id, app_id, org_id, uid, url, description, disabled, event_types, channels, throttle_rate, metadata, secret, \
        retired_secrets, headers, created_at, updated_at, max_in_flight
        """

    /// An endpoint; its secrets opened with `secrets`. `prefix` is put before every column name, for a row that
    /// holds an endpoint beside other things (e.g. `e_` in a claim).
    package static func endpoint(_ row: some SQLRow, secrets: SecretsCipher, prefix: String = "") -> Endpoint {
        Endpoint(
            id: EndpointID(unchecked: row.string(prefix + "id")),
            appID: ApplicationID(unchecked: row.string(prefix + "app_id")),
            orgID: OrganizationID(rawValue: row.string(prefix + "org_id")) ?? .default,
            uid: row.optionalString(prefix + "uid"),
            url: row.string(prefix + "url"),
            description: row.string(prefix + "description"),
            disabled: row.bool(prefix + "disabled"),
            eventTypes: row.json([String].self, prefix + "event_types"),
            channels: row.json([String].self, prefix + "channels"),
            throttleRate: row.optionalInt(prefix + "throttle_rate"),
            metadata: row.json([String: String].self, prefix + "metadata") ?? [:],
            secret: row.secret(prefix + "secret", secrets).flatMap(EndpointSecret.init) ?? .generate(),
            retiredSecrets: row.secretJSON([Endpoint.RetiredSecret].self, prefix + "retired_secrets", secrets) ?? [],
            headers: row.json([String: String].self, prefix + "headers") ?? [:],
            maxInFlight: row.optionalInt(prefix + "max_in_flight"),
            createdAt: row.time(prefix + "created_at"),
            updatedAt: row.time(prefix + "updated_at")
        )
    }

    /// A column list qualified with `table`, each column with `prefix` before its name (`e.id AS e_id, …`), to
    /// select beside other tables' columns.
    package static func qualified(_ columns: String, table: String, prefix: String = "") -> String {
        columns.split(separator: ",").map { column in
            let name = column.trimmingCharacters(in: .whitespacesAndNewlines)
            return prefix.isEmpty ? "\(table).\(name)" : "\(table).\(name) AS \(prefix)\(name)"
        }.joined(separator: ", ")
    }

    package static let messageColumns =
        "id, app_id, org_id, event_type, event_id, channels, payload, retention_days, created_at, idempotency_key"

    package static func message(_ row: some SQLRow) -> Message {
        Message(
            id: MessageID(unchecked: row.string("id")),
            appID: ApplicationID(unchecked: row.string("app_id")),
            orgID: OrganizationID(rawValue: row.string("org_id")) ?? .default,
            eventType: row.string("event_type"),
            eventID: row.optionalString("event_id"),
            channels: row.json([String].self, "channels"),
            payload: row.bytes("payload"),
            retentionDays: row.int("retention_days"),
            createdAt: row.time("created_at"),
            idempotencyKey: row.optionalString("idempotency_key")
        )
    }

    /// Attempt columns, qualified with the alias `a`.
    package static let attemptColumns = """
        a.id, a.msg_id, a.endpoint_id, a.app_id, a.org_id, a.url, a.response, a.response_status_code, \
        a.response_duration_ms, a.status, a.trigger_type, a.created_at
        """

    package static func attempt(_ row: some SQLRow) -> MessageAttempt {
        MessageAttempt(
            id: AttemptID(unchecked: row.string("id")),
            messageID: MessageID(unchecked: row.string("msg_id")),
            endpointID: EndpointID(unchecked: row.string("endpoint_id")),
            appID: ApplicationID(unchecked: row.string("app_id")),
            orgID: OrganizationID(rawValue: row.string("org_id")) ?? .default,
            url: row.string("url"),
            response: row.string("response"),
            responseStatusCode: row.int("response_status_code"),
            responseDurationMs: Int64(row.int("response_duration_ms")),
            status: MessageStatus(rawValue: row.int("status")) ?? .fail,
            trigger: AttemptTrigger(rawValue: row.int("trigger_type")) ?? .scheduled,
            timestamp: row.time("created_at")
        )
    }

    package static let sourceColumns =
        "id, org_id, app_id, uid, name, settings, allowed_ips, max_body, created_at, updated_at"

    /// A source; its settings (which hold the provider's secrets) opened with `secrets`.
    package static func source(_ row: some SQLRow, secrets: SecretsCipher) -> Source {
        Source(
            id: SourceID(unchecked: row.string("id")),
            orgID: OrganizationID(rawValue: row.string("org_id")) ?? .default,
            appID: ApplicationID(unchecked: row.string("app_id")),
            uid: row.optionalString("uid"),
            name: row.string("name"),
            settings: row.secretJSON(InboundSourceSettings.self, "settings", secrets)
                ?? InboundSourceSettings(provider: "unknown", secrets: []),
            allowedIPs: row.json([String].self, "allowed_ips") ?? [],
            maxBody: row.int("max_body"),
            createdAt: row.time("created_at"),
            updatedAt: row.time("updated_at")
        )
    }

    package static let inboundColumns = """
        id, source_id, org_id, method, path, query, headers, body, remote_address, received_at, outcome, reason, \
        event_id, msg_id
        """

    package static func inboundRequest(_ row: some SQLRow) -> StoredInboundRequest {
        StoredInboundRequest(
            id: InboundRequestID(unchecked: row.string("id")),
            sourceID: SourceID(unchecked: row.string("source_id")),
            orgID: OrganizationID(rawValue: row.string("org_id")) ?? .default,
            method: row.string("method"),
            path: row.string("path"),
            query: row.optionalString("query"),
            headers: row.json([[String]].self, "headers") ?? [],
            body: row.bytes("body"),
            remoteAddress: row.optionalString("remote_address"),
            receivedAt: row.time("received_at"),
            outcome: InboundOutcome(rawValue: row.string("outcome")) ?? .refused,
            reason: row.optionalString("reason"),
            eventID: row.optionalString("event_id"),
            messageID: row.optionalString("msg_id").map(MessageID.init(unchecked:))
        )
    }

    package static let deliveryStateColumns = "endpoint_id, status, trigger_type, attempt_count, next_attempt_at"

    /// A delivery's state; the next attempt time is shown only while the delivery is pending or in flight.
    package static func deliveryState(_ row: some SQLRow) -> DeliveryState {
        let status = MessageStatus(rawValue: row.int("status")) ?? .fail
        return DeliveryState(
            endpointID: EndpointID(unchecked: row.string("endpoint_id")),
            status: status,
            trigger: AttemptTrigger(rawValue: row.int("trigger_type")) ?? .scheduled,
            attemptCount: row.int("attempt_count"),
            nextAttemptAt: status == .pending || status == .sending
                ? row.optionalInt("next_attempt_at").map { Timestamp(microseconds: Int64($0)) } : nil
        )
    }

    package static let dashboardSessionColumns =
        "id_digest, csrf_token, org_id, app_id, expires_at, flash, flash_is_error"

    /// A dashboard session; its notice (which may show a new secret) opened with `secrets`.
    package static func dashboardSession(_ row: some SQLRow, secrets: SecretsCipher) -> StoredDashboardSession {
        StoredDashboardSession(
            idDigest: row.string("id_digest"),
            csrfToken: row.string("csrf_token"),
            orgID: row.string("org_id"),
            appID: row.optionalString("app_id"),
            expiresAt: row.time("expires_at"),
            flash: row.secret("flash", secrets),
            flashIsError: row.bool("flash_is_error")
        )
    }
}

/// How values are written into the tables.
package enum StoredValues {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// JSON text, as the schema stores structured values.
    package static func json(_ value: some Encodable) -> String {
        // Encoding string maps and arrays of strings cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    package static func jsonOrNull(_ value: (some Encodable)?) -> String? { value.map { json($0) } }

    /// A time as stored: microseconds since 1970.
    package static func time(_ value: Timestamp) -> Int64 { value.microseconds }
}
