//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import SQLiteNIO

extension SQLiteStore {
    static let pending = MessageStatus.pending.rawValue
    static let sending = MessageStatus.sending.rawValue

    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    public func claimDeliveries(now: Timestamp, limit: Int, lease: Duration) async throws -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        let leaseUntil = now.adding(lease)
        // No savepoint: a claim writes nothing it could be refused for; any failure rolls the batch back. Not durable
        // (see `SQLiteWriter`): a lease lost to a power loss leaves the delivery due, as it was.
        return try await writer.write(savepoint: false, durable: false) { connection in
            let rows = try await connection.rows(
                """
                UPDATE deliveries SET status = \(Self.sending), next_attempt_at = ?, updated_at = ?
                WHERE id IN (
                    SELECT id FROM deliveries WHERE status IN (\(Self.pending), \(Self.sending)) AND next_attempt_at <= ?
                    ORDER BY next_attempt_at LIMIT ?)
                RETURNING id, msg_id, endpoint_id, attempt_count, trigger_type
                """,
                [Self.time(leaseUntil), Self.time(now), Self.time(now), .integer(limit)]
            )
            guard !rows.isEmpty else { return [] }
            // Messages and endpoints come from the caches when they can (a message inserted lately, an endpoint read
            // since its last change); the rest are read in one statement each.
            var messages: [String: Message] = [:]
            var endpoints: [String: Endpoint] = [:]
            var missingMessages: Set<String> = []
            var missingEndpoints: Set<String> = []
            for row in rows {
                let messageID = row.string("msg_id")
                let endpointID = row.string("endpoint_id")
                if messages[messageID] == nil {
                    if let message = self.recentMessages.message(messageID) {
                        messages[messageID] = message
                    } else {
                        missingMessages.insert(messageID)
                    }
                }
                if endpoints[endpointID] == nil {
                    if let endpoint = self.fanOutCache.endpoint(endpointID) {
                        endpoints[endpointID] = endpoint
                    } else {
                        missingEndpoints.insert(endpointID)
                    }
                }
            }
            if !missingMessages.isEmpty {
                for row in try await connection.rows(
                    "SELECT \(Self.messageColumns) FROM messages WHERE id IN (\(Self.placeholders(missingMessages.count)))",
                    missingMessages.map { .text($0) }
                ) {
                    let message = Self.message(row)
                    messages[message.id.rawValue] = message
                }
            }
            if !missingEndpoints.isEmpty {
                for row in try await connection.rows(
                    """
                    SELECT \(Self.endpointColumns) FROM endpoints
                    WHERE id IN (\(Self.placeholders(missingEndpoints.count))) AND deleted = 0 AND disabled = 0
                    """,
                    missingEndpoints.map { .text($0) }
                ) {
                    let endpoint = self.endpoint(row)
                    endpoints[endpoint.id.rawValue] = endpoint
                    self.fanOutCache.store(live: endpoint)
                }
            }
            var claimed: [ClaimedDelivery] = []
            var cancelled: [SQLiteData] = []
            for row in rows {
                guard let message = messages[row.string("msg_id")], let endpoint = endpoints[row.string("endpoint_id")]
                else {
                    cancelled.append(.integer(row.int("id")))
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
                _ = try await connection.rows(
                    """
                    UPDATE deliveries SET status = \(MessageStatus.canceled.rawValue), next_attempt_at = NULL
                    WHERE id IN (\(Self.placeholders(cancelled.count)))
                    """,
                    cancelled
                )
            }
            return claimed
        }
    }

    public func completeDelivery(_ completion: DeliveryCompletion, now: Timestamp) async throws -> CompletionEffects {
        let attempt = completion.attempt
        if case .succeeded = completion.outcome {
            // Successes committed together are written together (see SQLiteWriter).
            let item = TimedCompletion(completion: completion, now: now)
            return try await writer.writeMergeable(Self.successfulCompletion, item, durable: false) { connection in
                try await Self.completeSucceeded([item], on: connection, failing: self.failingEndpoints)[0]
            }
        }
        // No savepoint: an attempt's id is new, nothing here can be refused; any failure rolls the batch back and
        // the delivery's lease brings it back. Not durable (see `SQLiteWriter`): an attempt record lost to a power
        // loss leaves its delivery leased, and it is sent again.
        return try await writer.write(savepoint: false, durable: false) { connection in
            _ = try await connection.rows(Self.insertAttempts(count: 1), Self.binds(attempt))
            let status: MessageStatus
            var next: SQLiteData = .null
            switch completion.outcome {
            case .succeeded: status = .success  // Not reached: successes are written by `completeSucceeded`.
            case .retry(let at):
                status = .pending
                next = Self.time(at)
            case .failed: status = .fail
            }
            _ = try await connection.rows(
                """
                UPDATE deliveries SET status = ?, next_attempt_at = ?, attempt_count = attempt_count + 1, updated_at = ?
                WHERE id = ?
                """,
                [.integer(status.rawValue), next, Self.time(now), .integer(Int(completion.deliveryID))]
            )
            let endpointID = SQLiteData.text(attempt.endpointID.rawValue)
            var effects = CompletionEffects()
            _ = try await connection.rows(
                "INSERT INTO endpoint_failures (endpoint_id, first_failure_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [endpointID, Self.time(now)]
            )
            self.failingEndpoints.insert(attempt.endpointID.rawValue)
            var disable = completion.gone
            if case .failed(exhausted: true) = completion.outcome {
                let rows = try await connection.rows(
                    """
                    UPDATE endpoint_failures SET exhausted_messages = exhausted_messages + 1 WHERE endpoint_id = ?
                    RETURNING first_failure_at, exhausted_messages
                    """,
                    [endpointID]
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
                    "UPDATE endpoints SET disabled = 1, updated_at = ? WHERE id = ? AND disabled = 0 RETURNING id",
                    [Self.time(now), endpointID]
                )
                if !rows.isEmpty {
                    self.fanOutCache.clear()
                    effects.disabledEndpoint = true
                    // A disabled endpoint gets nothing: what still waits for it is cancelled (recover re-sends it).
                    _ = try await connection.rows(
                        """
                        UPDATE deliveries SET status = \(MessageStatus.canceled.rawValue), next_attempt_at = NULL
                        WHERE endpoint_id = ? AND status = \(Self.pending)
                        """,
                        [endpointID]
                    )
                    if effects.failingSince == nil {
                        effects.failingSince =
                            try await connection.rows(
                                "SELECT first_failure_at FROM endpoint_failures WHERE endpoint_id = ?",
                                [endpointID]
                            ).first?.time("first_failure_at")
                    }
                }
            }
            return effects
        }
    }

    public var recordsSuccessesInBatches: Bool { true }

    public func completeSucceededDeliveries(_ completions: [DeliveryCompletion], now: Timestamp) async throws {
        guard !completions.isEmpty else { return }
        let items = completions.map { TimedCompletion(completion: $0, now: now) }
        // No savepoint: attempts' ids are new, nothing here can be refused; a failure rolls the batch back and the
        // deliveries' leases bring them back. Not durable, as `completeDelivery`.
        _ = try await writer.write(savepoint: false, durable: false) { connection in
            try await Self.completeSucceeded(items, on: connection, failing: self.failingEndpoints).count
        }
    }

    /// A successful completion and the time it was recorded at, as the writer merges them.
    struct TimedCompletion: Sendable {
        let completion: DeliveryCompletion
        let now: Timestamp
    }

    /// Records successful attempts, one row each, and finishes their deliveries, with one statement per table for
    /// them all; runs inside the caller's transaction. A success to an endpoint with a failure record clears it.
    static func completeSucceeded(_ items: [TimedCompletion], on connection: SQLiteConnection, failing: EndpointSet)
        async throws -> [CompletionEffects]
    {
        var attemptBinds: [SQLiteData] = []
        var deliveryBinds: [SQLiteData] = []
        var recovered: Set<String> = []
        attemptBinds.reserveCapacity(items.count * 12)
        for item in items {
            let attempt = item.completion.attempt
            attemptBinds += binds(attempt)
            deliveryBinds += [.integer(Int(item.completion.deliveryID)), time(item.now)]
            // Most successes are to endpoints with no failure record: they need no statement.
            if failing.contains(attempt.endpointID.rawValue) { recovered.insert(attempt.endpointID.rawValue) }
        }
        _ = try await connection.rows(insertAttempts(count: items.count), attemptBinds)
        _ = try await connection.rows(
            """
            UPDATE deliveries SET status = \(MessageStatus.success.rawValue), next_attempt_at = NULL,
            attempt_count = attempt_count + 1, updated_at = done.column2
            FROM (VALUES \(Array(repeating: "(?, ?)", count: items.count).joined(separator: ", "))) AS done
            WHERE deliveries.id = done.column1
            """,
            deliveryBinds
        )
        if !recovered.isEmpty {
            _ = try await connection.rows(
                "DELETE FROM endpoint_failures WHERE endpoint_id IN (\(placeholders(recovered.count)))",
                recovered.map { .text($0) }
            )
            for endpoint in recovered { _ = failing.remove(endpoint) }
        }
        return Array(repeating: CompletionEffects(), count: items.count)
    }

    /// `INSERT` of `count` attempts; each takes ``binds(_:)``.
    static func insertAttempts(count: Int) -> String {
        """
        INSERT INTO attempts (id, msg_id, endpoint_id, app_id, org_id, url, response, response_status_code,
        response_duration_ms, status, trigger_type, created_at) VALUES \(
            Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", "))
        """
    }

    static func binds(_ attempt: MessageAttempt) -> [SQLiteData] {
        [
            .text(attempt.id.rawValue), .text(attempt.messageID.rawValue), .text(attempt.endpointID.rawValue),
            .text(attempt.appID.rawValue), .text(attempt.orgID.rawValue), .text(attempt.url),
            .text(attempt.response), .integer(attempt.responseStatusCode),
            .integer(Int(attempt.responseDurationMs)), .integer(attempt.status.rawValue),
            .integer(attempt.trigger.rawValue), time(attempt.timestamp),
        ]
    }

    public func postponeDelivery(id: Int64, until: Timestamp) async throws {
        try await writer.write(durable: false) { connection in
            _ = try await connection.rows(
                "UPDATE deliveries SET status = \(Self.pending), next_attempt_at = ? WHERE id = ? AND status = \(Self.sending)",
                [Self.time(until), .integer(Int(id))]
            )
        }
        workSignal.signal()
    }

    public func releaseAllLeases(now: Timestamp) async throws -> Int {
        try await writer.write { connection in
            try await connection.rows(
                """
                UPDATE deliveries SET status = \(Self.pending), next_attempt_at = ?
                WHERE status = \(Self.sending) RETURNING id
                """,
                [Self.time(now)]
            ).count
        }
    }

    public func nextDueTime() async throws -> Timestamp? {
        try await read(
            "SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status IN (\(Self.pending), \(Self.sending))",
            []
        ).first?.optionalInt("due").map { Timestamp(microseconds: Int64($0)) }
    }

    public func queueStatistics(now: Timestamp) async throws -> QueueStatistics {
        let row = try await read(
            """
            SELECT COUNT(*) AS depth, MIN(CASE WHEN status = \(Self.pending) THEN next_attempt_at END) AS due
            FROM deliveries WHERE status IN (\(Self.pending), \(Self.sending))
            """,
            []
        ).first
        return QueueStatistics(
            depth: row?.int("depth") ?? 0,
            oldestDue: row?.optionalInt("due").map { Timestamp(microseconds: Int64($0)) }
        )
    }

    public func deliveries(message: MessageID) async throws -> [DeliveryState] {
        try await read(
            "SELECT \(StoredRows.deliveryStateColumns) FROM deliveries WHERE msg_id = ? ORDER BY id",
            [.text(message.rawValue)]
        ).map(StoredRows.deliveryState)
    }

    public func enqueueManualDelivery(message: Message, endpoint: Endpoint, now: Timestamp) async throws {
        try await writer.write { connection in
            _ = try await connection.rows(
                """
                INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
                created_at, updated_at) VALUES (?, ?, ?, ?, \(Self.pending), \(AttemptTrigger.manual.rawValue), ?, ?, ?)
                """,
                [
                    .text(message.id.rawValue), .text(endpoint.id.rawValue), .text(message.appID.rawValue),
                    .text(message.orgID.rawValue), Self.time(now), Self.time(now), Self.time(now),
                ]
            )
        }
        workSignal.signal()
    }

    public func expediteDeliveries(endpoint: EndpointID, now: Timestamp) async throws -> Int {
        let count = try await writer.write { connection in
            try await connection.rows(
                """
                UPDATE deliveries SET next_attempt_at = ?, updated_at = ?
                WHERE endpoint_id = ? AND status = \(Self.pending) AND next_attempt_at > ?
                RETURNING id
                """,
                [Self.time(now), Self.time(now), .text(endpoint.rawValue), Self.time(now)]
            ).count
        }
        if count > 0 { workSignal.signal() }
        return count
    }

    public func recoverFailedDeliveries(endpoint: Endpoint, since: Timestamp, until: Timestamp, now: Timestamp)
        async throws -> Int
    {
        try await enqueueManualDeliveries(
            endpoint: endpoint,
            since: since,
            until: until,
            now: now,
            condition: """
                EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.endpoint_id = ?
                    AND d.status IN (\(MessageStatus.fail.rawValue), \(MessageStatus.canceled.rawValue)))
                AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.endpoint_id = ?
                    AND d.status IN (\(MessageStatus.success.rawValue), \(Self.pending), \(Self.sending)))
                """,
            binds: [.text(endpoint.id.rawValue), .text(endpoint.id.rawValue)]
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
            condition: "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.endpoint_id = ?)",
            binds: [.text(endpoint.id.rawValue)]
        )
    }

    /// Queues a manual delivery to the endpoint for each message of its application created in `[since, until)`
    /// that meets `condition` (at most 10 000), in one transaction.
    private func enqueueManualDeliveries(
        endpoint: Endpoint,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
        condition: String,
        binds: [SQLiteData]
    ) async throws -> Int {
        let count = try await writer.write { connection in
            try await connection.rows(
                """
                INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
                created_at, updated_at)
                SELECT m.id, ?, m.app_id, m.org_id, \(Self.pending), \(AttemptTrigger.manual.rawValue), ?, ?, ?
                FROM messages m
                WHERE m.app_id = ? AND m.id >= ? AND m.id < ? AND \(condition)
                ORDER BY m.id LIMIT 10000
                RETURNING id
                """,
                [
                    .text(endpoint.id.rawValue), Self.time(now), Self.time(now), Self.time(now),
                    .text(endpoint.appID.rawValue), .text(MessageID.boundary(at: since, upper: false).rawValue),
                    .text(MessageID.boundary(at: until, upper: false).rawValue),
                ] + binds
            ).count
        }
        if count > 0 { workSignal.signal() }
        return count
    }
}
