//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import HookbirdSQL
import SQLiteNIO

extension SQLiteStore {
    static let pending = MessageStatus.pending.rawValue
    static let sending = MessageStatus.sending.rawValue

    public func claimDeliveries(now: Timestamp, limit: Int, lease: Duration, excluding: [EndpointID]) async throws
        -> [ClaimedDelivery]
    {
        guard limit > 0 else { return [] }
        let leaseUntil = now.adding(lease)
        // The endpoints to skip travel as one JSON array, so that the statement's text (and its prepared form) is
        // the same whatever their number.
        let skipped = StoredValues.json(excluding.map(\.rawValue))
        // No savepoint: a claim writes nothing it could be refused for; any failure rolls the batch back. Not durable
        // (see `SQLiteWriter`): a lease lost to a power loss leaves the delivery due, as it was.
        return try await writer.write(savepoint: false, durable: false) { connection in
            let rows = try connection.rows(
                """
                UPDATE deliveries SET status = \(Self.sending), next_attempt_at = ?, updated_at = ?
                WHERE id IN (
                    SELECT id FROM deliveries WHERE status IN (\(Self.pending), \(Self.sending)) AND next_attempt_at <= ?
                    AND endpoint_id NOT IN (SELECT value FROM json_each(?))
                    ORDER BY next_attempt_at LIMIT ?)
                RETURNING id, msg_id, endpoint_id, attempt_count, trigger_type
                """,
                [Self.time(leaseUntil), Self.time(now), Self.time(now), .text(skipped), .integer(limit)]
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
                for row in try connection.rows(
                    "SELECT \(Self.messageColumns) FROM messages WHERE id IN (\(Self.placeholders(missingMessages.count)))",
                    missingMessages.map { .text($0) }
                ) {
                    let message = StoredRows.message(row)
                    messages[message.id.rawValue] = message
                }
            }
            if !missingEndpoints.isEmpty {
                for row in try connection.rows(
                    """
                    SELECT \(StoredRows.endpointColumns) FROM endpoints
                    WHERE id IN (\(Self.placeholders(missingEndpoints.count))) AND deleted = 0 AND disabled = 0
                    """,
                    missingEndpoints.map { .text($0) }
                ) {
                    let endpoint = StoredRows.endpoint(row, secrets: self.secrets)
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
                try connection.rows(
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
                try Self.completeSucceeded([item], on: connection, failing: self.failingEndpoints)[0]
            }
        }
        // No savepoint: an attempt's id is new, nothing here can be refused; any failure rolls the batch back and
        // the delivery's lease brings it back. Not durable (see `SQLiteWriter`): an attempt record lost to a power
        // loss leaves its delivery leased, and it is sent again.
        let logger = self.logger
        return try await writer.write(savepoint: false, durable: false) { handle in
            let effects = try await self.recordAttempt(completion, now: now, on: handle.database(logger: logger))
            self.failingEndpoints.insert(attempt.endpointID.rawValue)
            return effects
        }
    }

    public func completeSucceededDeliveries(_ completions: [DeliveryCompletion], now: Timestamp) async throws {
        guard !completions.isEmpty else { return }
        let items = completions.map { TimedCompletion(completion: $0, now: now) }
        // No savepoint: attempts' ids are new, nothing here can be refused; a failure rolls the batch back and the
        // deliveries' leases bring them back. Not durable, as `completeDelivery`.
        _ = try await writer.write(savepoint: false, durable: false) { connection in
            try Self.completeSucceeded(items, on: connection, failing: self.failingEndpoints).count
        }
    }

    /// A successful completion and the time it was recorded at, as the writer merges them.
    struct TimedCompletion: Sendable {
        let completion: DeliveryCompletion
        let now: Timestamp
    }

    /// Records successful attempts, one row each, and finishes their deliveries, with one statement per table for
    /// them all; runs inside the caller's transaction. A success to an endpoint with a failure record clears it.
    static func completeSucceeded(_ items: [TimedCompletion], on connection: SQLiteHandle, failing: EndpointSet)
        throws -> [CompletionEffects]
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
        try connection.rows(insertAttempts(count: items.count), attemptBinds)
        try connection.rows(
            """
            UPDATE deliveries SET status = \(MessageStatus.success.rawValue), next_attempt_at = NULL,
            attempt_count = attempt_count + 1, updated_at = done.column2
            FROM (VALUES \(Array(repeating: "(?, ?)", count: items.count).joined(separator: ", "))) AS done
            WHERE deliveries.id = done.column1
            """,
            deliveryBinds
        )
        if !recovered.isEmpty {
            try connection.rows(
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
}
