//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
package import SQLKit

extension RelationalStore {
    public func postponeDelivery(id: Int64, until: Timestamp) async throws {
        try await write(
            """
            UPDATE deliveries SET status = \(DeliveryStatuses.pending), next_attempt_at = \(bind: until.microseconds)
            WHERE id = \(bind: id) AND status = \(DeliveryStatuses.sending)
            """
        )
        deliveriesQueued()
    }

    public func releaseDeliveries(_ ids: [Int64], now: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        try await write(
            """
            UPDATE deliveries SET status = \(DeliveryStatuses.pending), next_attempt_at = \(bind: now.microseconds)
            WHERE id IN (\(binds: ids)) AND status = \(DeliveryStatuses.sending)
            """
        )
        deliveriesQueued()
    }

    public func releaseLeases(expiringBy time: Timestamp, now: Timestamp) async throws -> Int {
        try await write(
            """
            UPDATE deliveries SET status = \(DeliveryStatuses.pending), next_attempt_at = \(bind: now.microseconds)
            WHERE status = \(DeliveryStatuses.sending) AND next_attempt_at <= \(bind: time.microseconds) RETURNING id
            """
        ).count
    }

    public func nextDueTime() async throws -> Timestamp? {
        try await read(
            """
            SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status IN \(DeliveryStatuses.open)\
            \(claimableFilter(now: .now))
            """
        ).first?.optionalTime("due")
    }

    public func queueStatistics(now: Timestamp) async throws -> QueueStatistics {
        let row = try await read(
            """
            SELECT COUNT(*) AS depth,
            MIN(CASE WHEN status = \(DeliveryStatuses.pending) THEN next_attempt_at END) AS due
            FROM deliveries WHERE status IN \(DeliveryStatuses.open)
            """
        ).first
        return QueueStatistics(depth: row?.int("depth") ?? 0, oldestDue: row?.optionalTime("due"))
    }

    public func deliveries(message: MessageID) async throws -> [DeliveryState] {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.deliveryStateColumns) FROM deliveries
            WHERE msg_id = \(bind: message.rawValue) ORDER BY id
            """
        ).map { StoredRows.deliveryState($0) }
    }

    public func expediteDeliveries(endpoint: EndpointID, now: Timestamp) async throws -> Int {
        let count = try await write(
            """
            UPDATE deliveries SET next_attempt_at = \(bind: now.microseconds), updated_at = \(bind: now.microseconds)
            WHERE endpoint_id = \(bind: endpoint.rawValue) AND status = \(DeliveryStatuses.pending)
            AND next_attempt_at > \(bind: now.microseconds) RETURNING id
            """
        ).count
        if count > 0 { deliveriesQueued() }
        return count
    }

    public func enqueueManualDelivery(message: Message, endpoint: Endpoint, now: Timestamp) async throws {
        let time = now.microseconds
        try await write(
            """
            INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
            created_at, updated_at) VALUES (
                \(bind: message.id.rawValue), \(bind: endpoint.id.rawValue), \(bind: message.appID.rawValue),
                \(bind: message.orgID.rawValue), \(DeliveryStatuses.pending), \(literal: AttemptTrigger.manual.rawValue),
                \(bind: time), \(bind: time), \(bind: time))
            """
        )
        deliveriesQueued()
    }

    public func recoverFailedDeliveries(endpoint: Endpoint, since: Timestamp, until: Timestamp, now: Timestamp)
        async throws -> Int
    {
        let id = endpoint.id.rawValue
        return try await enqueueManualDeliveries(
            endpoint: endpoint,
            since: since,
            until: until,
            now: now,
            condition: """
                EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.endpoint_id || '' = \(bind: id)
                    AND d.status IN (\(literal: MessageStatus.fail.rawValue), \(literal: MessageStatus.canceled.rawValue)))
                AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.endpoint_id || '' = \(bind: id)
                    AND d.status IN (\(literal: MessageStatus.success.rawValue), \(DeliveryStatuses.pending),
                    \(DeliveryStatuses.sending)))
                """
        )
    }

    public func replayMissingDeliveries(endpoint: Endpoint, since: Timestamp, until: Timestamp, now: Timestamp)
        async throws -> Int
    {
        try await enqueueManualDeliveries(
            endpoint: endpoint,
            since: since,
            until: until,
            now: now,
            condition: """
                NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id
                    AND d.endpoint_id || '' = \(bind: endpoint.id.rawValue))
                """
        )
    }

    /// Queues a manual delivery to the endpoint for each message of its application created in `[since, until)`
    /// that meets `condition` (at most 10 000), in one statement.
    ///
    /// The conditions look a message's deliveries up by message (`d.msg_id = m.id`, an index probe each) and compare
    /// the endpoint as `d.endpoint_id || ''`, an expression no index serves. Compared as a bare column, a planner
    /// without statistics for the table (PostgreSQL on a young database) took the endpoint's index instead, which
    /// also lists the rows this statement inserts as it goes: every message scanned all of them, 1.8 s instead of
    /// 0.1 s for 10 000 messages.
    private func enqueueManualDeliveries(
        endpoint: Endpoint,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
        condition: SQLQueryString
    ) async throws -> Int {
        let time = now.microseconds
        let count = try await write(
            """
            INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
            created_at, updated_at)
            SELECT m.id, \(bind: endpoint.id.rawValue), m.app_id, m.org_id, \(DeliveryStatuses.pending),
                \(literal: AttemptTrigger.manual.rawValue), \(bind: time), \(bind: time), \(bind: time)
            FROM messages m
            WHERE m.app_id = \(bind: endpoint.appID.rawValue)
                AND m.id >= \(bind: MessageID.boundary(at: since, upper: false).rawValue)
                AND m.id < \(bind: MessageID.boundary(at: until, upper: false).rawValue)
                AND \(condition)
            ORDER BY m.id LIMIT 10000
            RETURNING id
            """
        ).count
        if count > 0 { deliveriesQueued() }
        return count
    }

    public func completeDelivery(_ completion: DeliveryCompletion, now: Timestamp) async throws -> CompletionEffects {
        try await transaction { database in
            try await self.recordAttempt(completion, now: now, on: database)
        }
    }

    /// Records an attempt and persists its ``DeliveryTransition``: the attempt row, the delivery's new state, the
    /// endpoint's failure record and, when the policy says so, the endpoint disabled and what still waits for it
    /// cancelled (recover sends it again). Runs inside the caller's transaction.
    /// - Parameter failureRecordMayExist: `false` when the caller knows the endpoint has no failure record, so a
    ///   success need not delete one.
    package func recordAttempt(
        _ completion: DeliveryCompletion,
        now: Timestamp,
        failureRecordMayExist: Bool = true,
        on database: any SQLDatabase
    ) async throws -> CompletionEffects {
        let attempt = completion.attempt
        let transition = DeliveryTransition(outcome: completion.outcome, gone: completion.gone)
        let time = now.microseconds
        let endpointID = attempt.endpointID.rawValue
        try await database.rows(
            """
            INSERT INTO attempts (id, msg_id, endpoint_id, app_id, org_id, url, response, response_status_code,
            response_duration_ms, status, trigger_type, created_at) VALUES (
                \(bind: attempt.id.rawValue), \(bind: attempt.messageID.rawValue), \(bind: endpointID),
                \(bind: attempt.appID.rawValue), \(bind: attempt.orgID.rawValue), \(bind: attempt.url),
                \(bind: attempt.response), \(bind: attempt.responseStatusCode), \(bind: attempt.responseDurationMs),
                \(bind: attempt.status.rawValue), \(bind: attempt.trigger.rawValue), \(bind: attempt.timestamp.microseconds))
            """
        )
        try await database.rows(
            """
            UPDATE deliveries SET status = \(bind: transition.status.rawValue),
            next_attempt_at = \(bind: transition.nextAttemptAt?.microseconds), attempt_count = attempt_count + 1,
            updated_at = \(bind: time) WHERE id = \(bind: completion.deliveryID)
            """
        )
        var effects = CompletionEffects()
        guard case .fail(let countsExhausted) = transition.failureRecord else {
            if failureRecordMayExist {
                try await database.rows("DELETE FROM endpoint_failures WHERE endpoint_id = \(bind: endpointID)")
            }
            return effects
        }
        try await database.rows(
            """
            INSERT INTO endpoint_failures (endpoint_id, first_failure_at) VALUES (\(bind: endpointID), \(bind: time))
            ON CONFLICT DO NOTHING
            """
        )
        var record: FailureRecord?
        if countsExhausted {
            if let row = try await database.rows(
                """
                UPDATE endpoint_failures SET exhausted_messages = exhausted_messages + 1
                WHERE endpoint_id = \(bind: endpointID) RETURNING first_failure_at, exhausted_messages
                """
            ).first {
                record = FailureRecord(
                    firstFailureAt: row.time("first_failure_at"),
                    exhaustedMessages: row.int("exhausted_messages")
                )
                effects.failingSince = record?.firstFailureAt
            }
        }
        guard transition.disablesEndpoint(record: record, policy: completion.disablePolicy, now: now) else {
            return effects
        }
        let disabled = try await database.rows(
            """
            UPDATE endpoints SET disabled = \(bind: true), updated_at = \(bind: time)
            WHERE id = \(bind: endpointID) AND NOT disabled RETURNING id
            """
        )
        guard !disabled.isEmpty else { return effects }
        invalidate(.endpoints)
        effects.disabledEndpoint = true
        // A disabled endpoint gets nothing: what still waits for it is cancelled (recover re-sends it).
        try await database.rows(
            """
            UPDATE deliveries SET status = \(literal: MessageStatus.canceled.rawValue), next_attempt_at = NULL
            WHERE endpoint_id = \(bind: endpointID) AND status = \(DeliveryStatuses.pending)
            """
        )
        if effects.failingSince == nil {
            effects.failingSince = try await database.rows(
                "SELECT first_failure_at FROM endpoint_failures WHERE endpoint_id = \(bind: endpointID)"
            ).first?.time("first_failure_at")
        }
        return effects
    }
}
