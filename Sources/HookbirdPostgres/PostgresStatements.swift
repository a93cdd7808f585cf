//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdSQL
import HookbirdStorage
import NIOCore
import PostgresNIO

/// The statements of the hot paths: prepared once per connection (PostgreSQL parses and plans them once), each a
/// whole operation in one round trip, and each taking a batch as arrays (`unnest`), so that its text is the same
/// whatever the batch's size.
enum PostgresStatements {
    private static let pending = MessageStatus.pending.rawValue
    private static let sending = MessageStatus.sending.rawValue
    private static let success = MessageStatus.success.rawValue
    private static let scheduled = AttemptTrigger.scheduled.rawValue

    /// Whether endpoint `e` takes message `m`, as ``Endpoint/matches(eventTypeFilter:channelFilter:eventType:channels:)``
    /// decides it: its event types (none = all) hold the message's, and its channels (none = all) share one with the
    /// message's. The filters are JSON arrays as text.
    private static let endpointAcceptsMessage = """
        (e.event_types IS NULL OR e.event_types::jsonb ? m.event_type)
                AND (e.channels IS NULL OR (m.channels IS NOT NULL
                    AND e.channels::jsonb ?| ARRAY(SELECT jsonb_array_elements_text(m.channels::jsonb))))
        """

    /// Messages and their deliveries in one statement: the messages that are not refused by a unique key (event id,
    /// idempotency key) are inserted, and one delivery per live endpoint of their application that accepts them,
    /// matching event types and channels (``endpointAcceptsMessage``). The endpoints are read by the statement itself,
    /// so another node's change to them is seen as in a transaction. A message whose application is gone (deleted on
    /// another node since this one looked it up) is not inserted.
    ///
    /// With a lease (`leaseUntil` > 0: this node's delivery engine has room, see `DeliveryHandOff`) the deliveries
    /// are written already leased to this node (`sending` until the lease's end), except those of a listener
    /// connected to another node, which wait pending for it; the engine starts them when the statement has
    /// committed, without claiming them. Otherwise they are written pending, for a claim on any node.
    ///
    /// Returns a row per delivery (`delivery_id`, `status`, and for a leased one its endpoint as `e_…` columns), and
    /// one with no delivery for a message that queued none; a message missing from the result was refused.
    /// Optional texts travel as `''` (no id, key or channel list is empty).
    struct InsertMessages: PostgresPreparedStatement {
        static let name = "hookbird_insert_messages_3"
        static let sql = """
            WITH m AS (
                INSERT INTO messages (id, app_id, org_id, event_type, event_id, channels, payload, retention_days,
                    created_at, idempotency_key)
                SELECT t.id, t.app_id, t.org_id, t.event_type, NULLIF(t.event_id, ''), NULLIF(t.channels, ''), t.payload,
                    t.retention_days, t.created_at, NULLIF(t.idempotency_key, '')
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::bigint[], $9::bigint[], $10::text[])
                    AS t(id, app_id, org_id, event_type, event_id, channels, payload, retention_days, created_at,
                    idempotency_key)
                WHERE EXISTS (SELECT 1 FROM applications a WHERE a.id = t.app_id AND NOT a.deleted)
                ON CONFLICT DO NOTHING
                RETURNING id, app_id, org_id, event_type, channels, created_at
            ), d AS (
                INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
                    created_at, updated_at, lease_node)
                SELECT m.id, e.id, m.app_id, m.org_id, CASE WHEN h.leased THEN \(sending) ELSE \(pending) END,
                    \(scheduled), CASE WHEN h.leased THEN $11::bigint ELSE m.created_at END, m.created_at, m.created_at,
                    CASE WHEN h.leased THEN $13::bigint END
                FROM m JOIN endpoints e ON e.app_id = m.app_id AND NOT e.deleted AND NOT e.disabled
                CROSS JOIN LATERAL (SELECT $11::bigint > 0 AND NOT EXISTS (
                    SELECT 1 FROM listener_connections l
                    WHERE l.endpoint_id = e.id AND l.node_id <> $12::text AND l.expires_at > m.created_at) AS leased) h
                WHERE \(endpointAcceptsMessage)
                RETURNING id, msg_id, endpoint_id, status
            )
            SELECT m.id AS message_id, d.id AS delivery_id, d.status,
                \(StoredRows.qualified(StoredRows.endpointColumns, table: "e", prefix: "e_"))
            FROM m LEFT JOIN d ON d.msg_id = m.id
            LEFT JOIN endpoints e ON e.id = d.endpoint_id AND d.status = \(sending)
            """

        let messages: [Message]
        /// The end of the lease handed-off deliveries get (microseconds), or 0 to leave them all pending.
        let leaseUntil: Int64
        let nodeID: String
        /// This node's number in `nodes`, written on the leases it takes.
        let nodeKey: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 13)
            bindings.append(messages.map(\.id.rawValue))
            bindings.append(messages.map(\.appID.rawValue))
            bindings.append(messages.map(\.orgID.rawValue))
            bindings.append(messages.map(\.eventType))
            bindings.append(messages.map { $0.eventID ?? "" })
            bindings.append(messages.map { StoredValues.jsonOrNull($0.channels) ?? "" })
            bindings.append(messages.map { String(decoding: $0.payload, as: UTF8.self) })
            bindings.append(messages.map { Int64($0.retentionDays) })
            bindings.append(messages.map(\.createdAt.microseconds))
            bindings.append(messages.map { $0.idempotencyKey ?? "" })
            bindings.append(leaseUntil)
            bindings.append(nodeID)
            bindings.append(nodeKey)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }

    /// A provider's accepted request, its message and the message's deliveries in one statement. The request goes in
    /// first, unless the source has accepted its event id before (the unique index on accepted requests' event ids
    /// refuses it, quietly): then nothing is written and ``RecordInbound`` stores it as a duplicate. Two nodes
    /// receiving the same event at once both try; the second waits for the first to commit, and is refused. A
    /// message refused by its own keys fails the whole statement, request included, as a transaction would.
    struct RecordAccepted: PostgresPreparedStatement {
        static let name = "hookbird_record_accepted_1"
        static let sql = """
            WITH r AS (
                INSERT INTO inbound_requests (\(StoredRows.inboundColumns))
                VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, NULLIF($6::text, ''), $7::text, $8::bytea,
                    NULLIF($9::text, ''), $10::bigint, 'accepted', NULL, NULLIF($11::text, ''), $12::text)
                ON CONFLICT DO NOTHING RETURNING id
            ), m AS (
                INSERT INTO messages (id, app_id, org_id, event_type, event_id, channels, payload, retention_days,
                    created_at, idempotency_key)
                SELECT $12::text, $13::text, $3::text, $14::text, NULLIF($15::text, ''), NULLIF($16::text, ''), $17::text,
                    $18::bigint, $19::bigint, NULL
                WHERE EXISTS (SELECT 1 FROM r)
                RETURNING id, app_id, org_id, event_type, channels, created_at
            ), d AS (
                INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
                    created_at, updated_at)
                SELECT m.id, e.id, m.app_id, m.org_id, \(pending), \(scheduled), m.created_at, m.created_at, m.created_at
                FROM m JOIN endpoints e ON e.app_id = m.app_id AND NOT e.deleted AND NOT e.disabled
                WHERE \(endpointAcceptsMessage)
                RETURNING msg_id
            )
            SELECT (SELECT count(*) FROM r) AS recorded, (SELECT count(*) FROM d) AS queued
            """

        let request: StoredInboundRequest
        let message: Message

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 19)
            RecordInbound.bindRequest(request, into: &bindings)  // $12: the message's id
            bindings.append(message.appID.rawValue)
            bindings.append(message.eventType)
            bindings.append(message.eventID ?? "")
            bindings.append(StoredValues.jsonOrNull(message.channels) ?? "")
            bindings.append(String(decoding: message.payload, as: UTF8.self))
            bindings.append(Int64(message.retentionDays))
            bindings.append(message.createdAt.microseconds)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (recorded: Int, queued: Int) {
            try row.decode((Int, Int).self)
        }
    }

    /// A provider's request stored as it is (refused, a handshake, or accepted without a message); for a duplicate
    /// (`outcome` `duplicate`, event id set), the message is the one the source's accepted request of that event got.
    struct RecordInbound: PostgresPreparedStatement {
        static let name = "hookbird_record_inbound_1"
        static let sql = """
            INSERT INTO inbound_requests (\(StoredRows.inboundColumns))
            SELECT $1::text, $2::text, $3::text, $4::text, $5::text, NULLIF($6::text, ''), $7::text, $8::bytea,
                NULLIF($9::text, ''), $10::bigint, $13::text, NULLIF($14::text, ''), NULLIF($11::text, ''),
                COALESCE(NULLIF($12::text, ''), (SELECT msg_id FROM inbound_requests WHERE source_id = $2::text
                    AND event_id = $11::text AND outcome = 'accepted'))
            RETURNING msg_id
            """

        let request: StoredInboundRequest

        /// Binds `$1`–`$12`: the request's columns but its outcome and reason (`$12` is its message id, or `''`).
        static func bindRequest(_ request: StoredInboundRequest, into bindings: inout PostgresBindings) {
            bindings.append(request.id.rawValue)
            bindings.append(request.sourceID.rawValue)
            bindings.append(request.orgID.rawValue)
            bindings.append(request.method)
            bindings.append(request.path)
            bindings.append(request.query ?? "")
            bindings.append(StoredValues.json(request.headers))
            bindings.append(ByteBuffer(bytes: request.body))
            bindings.append(request.remoteAddress ?? "")
            bindings.append(request.receivedAt.microseconds)
            bindings.append(request.eventID ?? "")
            bindings.append(request.messageID?.rawValue ?? "")
        }

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 14)
            Self.bindRequest(request, into: &bindings)
            bindings.append(request.outcome.rawValue)
            bindings.append(request.reason ?? "")
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String? { try row.decode(String?.self) }
    }

    /// Claims up to `limit` due deliveries this node may take (not those of a listener connected to another node, nor
    /// those of the endpoints it has no room for),
    /// leasing them until `leaseUntil`, with `FOR UPDATE SKIP LOCKED` so that claimers on any number of nodes each
    /// get different deliveries and never wait for each other; returns each with its message and its endpoint
    /// (`e_…` columns; NULL when the endpoint was disabled or deleted meanwhile), in one round trip.
    struct ClaimDeliveries: PostgresPreparedStatement {
        static let name = "hookbird_claim_deliveries_3"
        static let sql = """
            WITH claimed AS (
                UPDATE deliveries SET status = \(sending), next_attempt_at = $1, updated_at = $2, lease_node = $5
                WHERE id IN (
                    SELECT id FROM deliveries
                    WHERE status IN (\(pending), \(sending)) AND next_attempt_at <= $2
                    AND endpoint_id NOT IN (
                        SELECT endpoint_id FROM listener_connections WHERE node_id <> $3 AND expires_at > $2)
                    AND endpoint_id <> ALL($6::text[])
                    ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
                RETURNING id, msg_id, endpoint_id, attempt_count, trigger_type
            )
            SELECT c.id AS delivery_id, c.attempt_count, c.trigger_type,
                \(StoredRows.qualified(StoredRows.messageColumns, table: "m")),
                \(StoredRows.qualified(StoredRows.endpointColumns, table: "e", prefix: "e_"))
            FROM claimed c LEFT JOIN messages m ON m.id = c.msg_id
            LEFT JOIN endpoints e ON e.id = c.endpoint_id AND NOT e.deleted AND NOT e.disabled
            """

        let leaseUntil: Int64
        let now: Int64
        let nodeID: String
        let limit: Int64
        let nodeKey: Int64
        /// Endpoints whose deliveries are not claimed (the engine has no room for more of theirs).
        let excluding: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(leaseUntil)
            bindings.append(now)
            bindings.append(nodeID)
            bindings.append(limit)
            bindings.append(nodeKey)
            bindings.append(excluding)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }

    /// Records successful attempts and finishes their deliveries in one statement; a success clears its endpoint's
    /// failure record (an index probe when there is none).
    struct CompleteSucceeded: PostgresPreparedStatement {
        static let name = "hookbird_complete_succeeded_1"
        static let sql = """
            WITH a AS (
                INSERT INTO attempts (id, msg_id, endpoint_id, app_id, org_id, url, response, response_status_code,
                    response_duration_ms, status, trigger_type, created_at)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
            ), d AS (
                UPDATE deliveries SET status = \(success), next_attempt_at = NULL, attempt_count = attempt_count + 1,
                    updated_at = done.updated_at
                FROM unnest($13::bigint[], $14::bigint[]) AS done(id, updated_at) WHERE deliveries.id = done.id
            )
            DELETE FROM endpoint_failures WHERE endpoint_id = ANY($3::text[])
            """

        let completions: [(completion: DeliveryCompletion, now: Timestamp)]

        func makeBindings() throws -> PostgresBindings {
            let attempts = completions.map(\.completion.attempt)
            var bindings = PostgresBindings(capacity: 14)
            bindings.append(attempts.map(\.id.rawValue))
            bindings.append(attempts.map(\.messageID.rawValue))
            bindings.append(attempts.map(\.endpointID.rawValue))
            bindings.append(attempts.map(\.appID.rawValue))
            bindings.append(attempts.map(\.orgID.rawValue))
            bindings.append(attempts.map(\.url))
            bindings.append(attempts.map(\.response))
            bindings.append(attempts.map { Int64($0.responseStatusCode) })
            bindings.append(attempts.map(\.responseDurationMs))
            bindings.append(attempts.map { Int64($0.status.rawValue) })
            bindings.append(attempts.map { Int64($0.trigger.rawValue) })
            bindings.append(attempts.map(\.timestamp.microseconds))
            bindings.append(completions.map(\.completion.deliveryID))
            bindings.append(completions.map(\.now.microseconds))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}
