//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import PostgresNIO

extension PostgresStore {
    static let pending = MessageStatus.pending.rawValue
    static let sending = MessageStatus.sending.rawValue

    /// Claims due deliveries as `SQLiteStore` does (a claimed delivery is `sending`, its `next_attempt_at` the end
    /// of its lease), but with `FOR UPDATE SKIP LOCKED`, so that claimers on any number of nodes each get different
    /// deliveries and never wait for each other.
    public func claimDeliveries(now: Timestamp, limit: Int, lease: Duration) async throws -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        let leaseUntil = Self.time(now.adding(lease))
        let nowValue = Self.time(now)
        return try await transaction { connection in
            let rows = try await connection.rows(
                """
                UPDATE deliveries
                SET status = \(Self.sending), next_attempt_at = \(leaseUntil), updated_at = \(nowValue)
                WHERE id IN (
                    SELECT id FROM deliveries
                    WHERE status IN (\(Self.pending), \(Self.sending)) AND next_attempt_at <= \(nowValue)
                    AND endpoint_id NOT IN (
                        SELECT endpoint_id FROM listener_connections
                        WHERE node_id <> \(self.nodeID) AND expires_at > \(nowValue))
                    ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING id, msg_id, endpoint_id, attempt_count, trigger_type
                """,
                logger: self.logger
            )
            guard !rows.isEmpty else { return [] }
            let messageIDs = Array(Set(rows.map { $0.string("msg_id") }))
            let endpointIDs = Array(Set(rows.map { $0.string("endpoint_id") }))
            var messages: [String: Message] = [:]
            for row in try await connection.rows(
                "SELECT \(unescaped: StoredRows.messageColumns) FROM messages WHERE id = ANY(\(messageIDs))",
                logger: self.logger
            ) {
                let message = StoredRows.message(row)
                messages[message.id.rawValue] = message
            }
            var endpoints: [String: Endpoint] = [:]
            for row in try await connection.rows(
                """
                SELECT \(unescaped: StoredRows.endpointColumns) FROM endpoints
                WHERE id = ANY(\(endpointIDs)) AND NOT deleted AND NOT disabled
                """,
                logger: self.logger
            ) {
                let endpoint = self.endpoint(row)
                endpoints[endpoint.id.rawValue] = endpoint
            }
            var claimed: [ClaimedDelivery] = []
            var cancelled: [Int] = []
            for row in rows {
                guard let message = messages[row.string("msg_id")], let endpoint = endpoints[row.string("endpoint_id")]
                else {
                    cancelled.append(row.int("id"))
                    continue
                }
                claimed.append(
                    ClaimedDelivery(
                        id: Int64(row.int("id")),
                        message: message,
                        endpoint: endpoint,
                        attemptCount: row.int("attempt_count"),
                        trigger: AttemptTrigger(rawValue: row.int("trigger_type")) ?? .scheduled
                    )
                )
            }
            if !cancelled.isEmpty {
                try await connection.rows(
                    """
                    UPDATE deliveries SET status = \(MessageStatus.canceled.rawValue), next_attempt_at = NULL
                    WHERE id = ANY(\(cancelled))
                    """,
                    logger: self.logger
                )
            }
            return claimed
        }
    }

    /// Records an attempt as `SQLiteStore` does. The failure record of the endpoint lives only in the
    /// `endpoint_failures` table (SQLite also keeps the set of failing endpoints in memory): a success always deletes
    /// the endpoint's record, since another node may have written it.
    public func completeDelivery(_ completion: DeliveryCompletion, now: Timestamp) async throws -> CompletionEffects {
        let attempt = completion.attempt
        let nowValue = Self.time(now)
        return try await transaction { connection -> CompletionEffects in
            try await connection.rows(
                """
                INSERT INTO attempts (id, msg_id, endpoint_id, app_id, org_id, url, response, response_status_code,
                response_duration_ms, status, trigger_type, created_at) VALUES (
                    \(attempt.id.rawValue), \(attempt.messageID.rawValue), \(attempt.endpointID.rawValue),
                    \(attempt.appID.rawValue), \(attempt.orgID.rawValue), \(attempt.url), \(attempt.response),
                    \(attempt.responseStatusCode), \(attempt.responseDurationMs), \(attempt.status.rawValue),
                    \(attempt.trigger.rawValue), \(Self.time(attempt.timestamp)))
                """,
                logger: self.logger
            )
            let status: MessageStatus
            var next: Int64?
            switch completion.outcome {
            case .succeeded: status = .success
            case .retry(let at):
                status = .pending
                next = Self.time(at)
            case .failed: status = .fail
            }
            try await connection.rows(
                """
                UPDATE deliveries SET status = \(status.rawValue), next_attempt_at = \(next),
                attempt_count = attempt_count + 1, updated_at = \(nowValue)
                WHERE id = \(completion.deliveryID)
                """,
                logger: self.logger
            )
            let endpointID = attempt.endpointID.rawValue
            var effects = CompletionEffects()
            if case .succeeded = completion.outcome {
                try await connection.rows(
                    "DELETE FROM endpoint_failures WHERE endpoint_id = \(endpointID)",
                    logger: self.logger
                )
                return effects
            }
            try await connection.rows(
                """
                INSERT INTO endpoint_failures (endpoint_id, first_failure_at) VALUES (\(endpointID), \(nowValue))
                ON CONFLICT DO NOTHING
                """,
                logger: self.logger
            )
            var disable = completion.gone
            if case .failed(exhausted: true) = completion.outcome {
                let rows = try await connection.rows(
                    """
                    UPDATE endpoint_failures SET exhausted_messages = exhausted_messages + 1
                    WHERE endpoint_id = \(endpointID) RETURNING first_failure_at, exhausted_messages
                    """,
                    logger: self.logger
                )
                if let row = rows.first {
                    let record = FailureRecord(
                        firstFailureAt: row.time("first_failure_at"),
                        exhaustedMessages: row.int("exhausted_messages")
                    )
                    effects.failingSince = record.firstFailureAt
                    if completion.disablePolicy.shouldDisable(record, now: now) { disable = true }
                }
            }
            if disable {
                let rows = try await connection.rows(
                    """
                    UPDATE endpoints SET disabled = true, updated_at = \(nowValue)
                    WHERE id = \(endpointID) AND NOT disabled RETURNING id
                    """,
                    logger: self.logger
                )
                if !rows.isEmpty {
                    effects.disabledEndpoint = true
                    // A disabled endpoint gets nothing: what still waits for it is cancelled (recover re-sends it).
                    try await connection.rows(
                        """
                        UPDATE deliveries SET status = \(MessageStatus.canceled.rawValue), next_attempt_at = NULL
                        WHERE endpoint_id = \(endpointID) AND status = \(Self.pending)
                        """,
                        logger: self.logger
                    )
                    if effects.failingSince == nil {
                        effects.failingSince =
                            try await connection.rows(
                                "SELECT first_failure_at FROM endpoint_failures WHERE endpoint_id = \(endpointID)",
                                logger: self.logger
                            ).first?.time("first_failure_at")
                    }
                }
            }
            return effects
        }
    }

    public func postponeDelivery(id: Int64, until: Timestamp) async throws {
        _ = try await execute(
            """
            UPDATE deliveries SET status = \(Self.pending), next_attempt_at = \(Self.time(until))
            WHERE id = \(id) AND status = \(Self.sending)
            """
        )
        workSignal.signal()
    }

    public var sharesThrottleState: Bool { true }

    /// One statement takes the token, so nodes never both take the last one: the row of the endpoint's bucket is
    /// refilled for the time since its last update (`rate` per second, at most `rate`), and a token is taken when
    /// a whole one is there. Nodes' clocks may differ a little: time never runs backwards for a bucket.
    public func takeThrottleToken(endpoint: EndpointID, rate: Int, now: Timestamp) async throws -> Duration? {
        let rate = Double(max(1, rate))
        let now = Self.time(now)
        let query = QueryBuilder("INSERT INTO throttle_buckets AS b (endpoint_id, tokens, granted, updated_at) ")
        let id = query.bind(endpoint.rawValue)
        let rateBind = query.bind(rate)
        let nowBind = query.bind(now)
        let refilled = "LEAST(\(rateBind), b.tokens + GREATEST(0, \(nowBind) - b.updated_at) * \(rateBind) / 1000000.0)"
        query.append(
            """
            VALUES (\(id), \(rateBind) - 1, true, \(nowBind))
            ON CONFLICT (endpoint_id) DO UPDATE SET
                tokens = \(refilled) - CASE WHEN \(refilled) >= 1 THEN 1 ELSE 0 END,
                granted = \(refilled) >= 1,
                updated_at = GREATEST(b.updated_at, \(nowBind))
            RETURNING granted, CEIL((1 - tokens) / \(rateBind) * 1000000)::BIGINT AS wait_us
            """
        )
        guard let row = try await execute(query.query).first else { return nil }
        if row.bool("granted") { return nil }
        return .microseconds(max(1, row.int("wait_us")))
    }

    /// Frees only the leases that have run out, unlike `SQLiteStore`: other nodes share the queue, and a lease
    /// still running belongs to a live worker somewhere. (An expired lease is claimable anyway; freeing it only makes
    /// the count visible at start.)
    public func releaseAllLeases(now: Timestamp) async throws -> Int {
        try await execute(
            """
            UPDATE deliveries SET status = \(Self.pending)
            WHERE status = \(Self.sending) AND next_attempt_at <= \(Self.time(now)) RETURNING id
            """
        ).count
    }

    /// What this node may claim: not the deliveries of a listener connected to another node.
    public func nextDueTime() async throws -> Timestamp? {
        try await execute(
            """
            SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status IN (\(Self.pending), \(Self.sending))
            AND endpoint_id NOT IN (
                SELECT endpoint_id FROM listener_connections
                WHERE node_id <> \(nodeID) AND expires_at > \(Self.time(.now)))
            """
        ).first?.optionalInt("due").map { Timestamp(microseconds: Int64($0)) }
    }

    public func queueStatistics(now: Timestamp) async throws -> QueueStatistics {
        let row = try await execute(
            """
            SELECT COUNT(*) AS depth, MIN(CASE WHEN status = \(Self.pending) THEN next_attempt_at END) AS due
            FROM deliveries WHERE status IN (\(Self.pending), \(Self.sending))
            """
        ).first
        return QueueStatistics(
            depth: row?.int("depth") ?? 0,
            oldestDue: row?.optionalInt("due").map { Timestamp(microseconds: Int64($0)) }
        )
    }

    public func deliveries(message: MessageID) async throws -> [DeliveryState] {
        try await execute(
            """
            SELECT \(unescaped: StoredRows.deliveryStateColumns) FROM deliveries
            WHERE msg_id = \(message.rawValue) ORDER BY id
            """
        ).map(StoredRows.deliveryState)
    }

    public func expediteDeliveries(endpoint: EndpointID, now: Timestamp) async throws -> Int {
        let nowValue = Self.time(now)
        let count = try await transaction { connection in
            let count = try await connection.rows(
                """
                UPDATE deliveries SET next_attempt_at = \(nowValue), updated_at = \(nowValue)
                WHERE endpoint_id = \(endpoint.rawValue) AND status = \(Self.pending) AND next_attempt_at > \(nowValue)
                RETURNING id
                """,
                logger: self.logger
            ).count
            if count > 0 { try await Self.notifyWork(on: connection, logger: self.logger) }
            return count
        }
        if count > 0 { workSignal.signal() }
        return count
    }

    public func enqueueManualDelivery(message: Message, endpoint: Endpoint, now: Timestamp) async throws {
        let nowValue = Self.time(now)
        try await transaction { connection in
            try await connection.rows(
                """
                INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
                created_at, updated_at) VALUES (
                    \(message.id.rawValue), \(endpoint.id.rawValue), \(message.appID.rawValue),
                    \(message.orgID.rawValue), \(Self.pending), \(AttemptTrigger.manual.rawValue), \(nowValue),
                    \(nowValue), \(nowValue))
                """,
                logger: self.logger
            )
            try await Self.notifyWork(on: connection, logger: self.logger)
        }
        workSignal.signal()
    }

    public func recoverFailedDeliveries(endpoint: Endpoint, since: Timestamp, until: Timestamp, now: Timestamp)
        async throws -> Int
    {
        try await enqueueManualDeliveries(endpoint: endpoint, since: since, until: until, now: now) { query in
            let id = query.bind(endpoint.id.rawValue)
            return """
                EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.endpoint_id = \(id)
                    AND d.status IN (\(MessageStatus.fail.rawValue), \(MessageStatus.canceled.rawValue)))
                AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.endpoint_id = \(id)
                    AND d.status IN (\(MessageStatus.success.rawValue), \(Self.pending), \(Self.sending)))
                """
        }
    }

    public func replayMissingDeliveries(endpoint: Endpoint, since: Timestamp, until: Timestamp, now: Timestamp)
        async throws -> Int
    {
        try await enqueueManualDeliveries(endpoint: endpoint, since: since, until: until, now: now) { query in
            let id = query.bind(endpoint.id.rawValue)
            return "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.endpoint_id = \(id))"
        }
    }

    /// Queues a manual delivery to the endpoint for each message of its application created in `[since, until)`
    /// that meets the condition (at most 10 000), in one transaction.
    private func enqueueManualDeliveries(
        endpoint: Endpoint,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
        condition: (QueryBuilder) -> String
    ) async throws -> Int {
        let query = QueryBuilder("")
        let nowValue = query.bind(Self.time(now))
        query.append(
            """
            INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
            created_at, updated_at)
            SELECT m.id, \(query.bind(endpoint.id.rawValue)), m.app_id, m.org_id, \(Self.pending),
                \(AttemptTrigger.manual.rawValue), \(nowValue), \(nowValue), \(nowValue)
            FROM messages m
            WHERE m.app_id = \(query.bind(endpoint.appID.rawValue))
                AND m.id >= \(query.bind(MessageID.boundary(at: since, upper: false).rawValue))
                AND m.id < \(query.bind(MessageID.boundary(at: until, upper: false).rawValue))
            """
        )
        query.append(" AND \(condition(query)) ORDER BY m.id LIMIT 10000 RETURNING id")
        let built = query.query
        let count = try await transaction { connection in
            let count = try await connection.rows(built, logger: self.logger).count
            if count > 0 { try await Self.notifyWork(on: connection, logger: self.logger) }
            return count
        }
        if count > 0 { workSignal.signal() }
        return count
    }
}
