//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import HookbirdSQL
import PostgresNIO
import SQLKit

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
                let endpoint = StoredRows.endpoint(row, secrets: self.secrets)
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

    /// Records successful attempts, one row each, and finishes their deliveries, in one transaction. A success
    /// clears its endpoint's failure record (another node may have written it).
    public func completeSucceededDeliveries(_ completions: [DeliveryCompletion], now: Timestamp) async throws {
        guard !completions.isEmpty else { return }
        try await transaction { (database: any SQLDatabase) in
            for completion in completions {
                _ = try await self.recordAttempt(completion, now: now, on: database)
            }
        }
    }
}

extension PostgresStore: SharedThrottle {
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
}
