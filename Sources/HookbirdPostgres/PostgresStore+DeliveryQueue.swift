//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import HookbirdSQL
import PostgresNIO
import PostgresKit
import SQLKit

extension PostgresStore {
    static let pending = MessageStatus.pending.rawValue
    static let sending = MessageStatus.sending.rawValue

    /// Claims due deliveries as `SQLiteStore` does (a claimed delivery is `sending`, its `next_attempt_at` the end
    /// of its lease), but with `FOR UPDATE SKIP LOCKED`, so that claimers on any number of nodes each get different
    /// deliveries and never wait for each other; one prepared statement claims them and reads their messages and
    /// endpoints (``PostgresStatements/ClaimDeliveries``). Deliveries whose endpoint was disabled or deleted
    /// meanwhile (or whose message is gone) are cancelled.
    public func claimDeliveries(now: Timestamp, limit: Int, lease: Duration, excluding: [EndpointID]) async throws
        -> [ClaimedDelivery]
    {
        guard limit > 0 else { return [] }
        let statement = PostgresStatements.ClaimDeliveries(
            leaseUntil: now.adding(lease).microseconds,
            now: now.microseconds,
            nodeID: nodeID,
            limit: Int64(limit),
            nodeKey: nodeKey,
            excluding: excluding.map(\.rawValue)
        )
        return try await translating {
            try await withConnection(on: .bookkeeping) { connection in
                var claimed: [ClaimedDelivery] = []
                var cancelled: [Int64] = []
                // A backlog's deliveries mostly go to a few endpoints: each is decoded (JSON, secrets) once.
                var endpoints: [String: Endpoint] = [:]
                for try await postgresRow in try await connection.execute(statement, logger: self.logger) {
                    let row = PostgresResultRow(postgresRow)
                    let id = Int64(row.int("delivery_id"))
                    guard row.optionalString("id") != nil, let endpointID = row.optionalString("e_id") else {
                        cancelled.append(id)
                        continue
                    }
                    let endpoint =
                        endpoints[endpointID] ?? StoredRows.endpoint(row, secrets: self.secrets, prefix: "e_")
                    endpoints[endpointID] = endpoint
                    claimed.append(
                        ClaimedDelivery(
                            id: id,
                            message: StoredRows.message(row),
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
    }

    /// Records successful attempts, one row each, and finishes their deliveries, in one prepared statement
    /// (``PostgresStatements/CompleteSucceeded``).
    public func completeSucceededDeliveries(_ completions: [DeliveryCompletion], now: Timestamp) async throws {
        guard !completions.isEmpty else { return }
        let statement = PostgresStatements.CompleteSucceeded(completions: completions.map { ($0, now) })
        try await translating {
            try await withConnection(on: .bookkeeping) { connection in
                _ = try await connection.execute(statement, logger: self.logger)
            }
        }
    }

    /// A success alone is recorded as a batch of one.
    public func completeDelivery(_ completion: DeliveryCompletion, now: Timestamp) async throws -> CompletionEffects {
        if case .succeeded = completion.outcome {
            try await completeSucceededDeliveries([completion], now: now)
            return CompletionEffects()
        }
        return try await transaction(on: .bookkeeping) { (connection: PostgresConnection) in
            try await self.recordAttempt(completion, now: now, on: connection.sql(queryLogLevel: nil))
        }
    }

    /// Runs `body`, turning driver errors into ``StorageError``.
    func translating<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw Self.translate(error)
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
