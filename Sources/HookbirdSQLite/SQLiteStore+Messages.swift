//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import HookbirdStorage
import HookbirdSQL
import SQLiteNIO

extension SQLiteStore {
    static let messageColumns = StoredRows.messageColumns

    public func insertMessage(_ message: Message) async throws -> Int {
        // No savepoint: the message insert is the job's first statement and the only one that can be refused.
        // Messages committed together are inserted together (see SQLiteWriter).
        let inserted = try await writer.writeMergeable(Self.messageInsert, message) { connection in
            try Self.insertMessages(
                [message],
                on: connection,
                cache: self.fanOutCache,
                recent: self.recentMessages,
                secrets: self.secrets,
                handOff: self.handOff
            )[0]
        }
        dispatch(inserted)
        return inserted.queued
    }

    /// Once the message's transaction has committed: what was leased for the engine goes to it, and the engine is
    /// told to claim when the rest waits in the table.
    func dispatch(_ inserted: InsertedMessage) {
        handOff.submit(inserted.handedOff)
        if inserted.queued > inserted.handedOff.count { workSignal.signal() }
    }

    /// What inserting one message queued.
    struct InsertedMessage: Sendable {
        /// Deliveries queued.
        var queued = 0
        /// Those of them leased for the delivery engine, to hand to it once the transaction has committed.
        var handedOff: [ClaimedDelivery] = []
    }

    /// Inserts messages and one delivery per endpoint of their application that accepts them, with one
    /// multi-row statement for the messages and as few as possible for the deliveries; runs inside the caller's
    /// transaction. Throws (having written nothing) when a message is refused (a duplicate event id).
    ///
    /// When `handOff` has room for all of a message's deliveries, they are written already leased and returned in
    /// ``InsertedMessage/handedOff``; otherwise they are written pending, for a claim.
    static func insertMessages(
        _ messages: [Message],
        on connection: SQLiteHandle,
        cache: FanOutCache,
        recent: RecentMessages,
        secrets: SecretsCipher,
        handOff: DeliveryHandOff? = nil
    ) throws -> [InsertedMessage] {
        let rowPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        var messageBinds: [SQLiteData] = []
        messageBinds.reserveCapacity(messages.count * 10)
        for message in messages {
            messageBinds += [
                .text(message.id.rawValue), .text(message.appID.rawValue), .text(message.orgID.rawValue),
                .text(message.eventType), Self.text(message.eventID), Self.jsonOrNull(message.channels),
                .text(String(decoding: message.payload, as: UTF8.self)), .integer(message.retentionDays),
                Self.time(message.createdAt), Self.text(message.idempotencyKey),
            ]
        }
        try connection.rows(
            "INSERT INTO messages (\(Self.messageColumns)) VALUES "
                + Array(repeating: rowPlaceholders, count: messages.count).joined(separator: ", "),
            messageBinds
        )
        // Fan-out, inside the same transaction: the queue is a table, so there is no gap between accepting a
        // message and queueing its deliveries.
        var candidates: [String: [Endpoint]] = [:]
        var unknown: [String] = []
        for app in Set(messages.map(\.appID.rawValue)) {
            if let cached = cache.targets(app) { candidates[app] = cached } else { unknown.append(app) }
        }
        if !unknown.isEmpty {
            for app in unknown { candidates[app] = [] }
            let rows = try connection.rows(
                """
                SELECT \(StoredRows.endpointColumns) FROM endpoints
                WHERE app_id IN (\(Self.placeholders(unknown.count))) AND deleted = 0 AND disabled = 0
                """,
                unknown.map { .text($0) }
            )
            for row in rows {
                let endpoint = StoredRows.endpoint(row, secrets: secrets)
                candidates[endpoint.appID.rawValue, default: []].append(endpoint)
            }
            for app in unknown { cache.store(candidates[app] ?? [], for: app) }
        }
        var results: [InsertedMessage] = []
        var handOffTargets: [String: Endpoint] = [:]  // by "message id endpoint id"
        var deliveryBinds: [SQLiteData] = []
        var leasedCount = 0
        for message in messages {
            let targets = (candidates[message.appID.rawValue] ?? []).filter {
                Endpoint.matches(
                    eventTypeFilter: $0.eventTypes,
                    channelFilter: $0.channels,
                    eventType: message.eventType,
                    channels: message.channels
                )
            }
            results.append(InsertedMessage(queued: targets.count))
            let now = Self.time(message.createdAt)
            // Leased for the engine (status sending, due when the lease runs out), or pending and due now.
            var status = SQLiteData.integer(MessageStatus.pending.rawValue)
            var due = now
            if !targets.isEmpty, let lease = handOff?.leaseForHandOff(count: leasedCount + targets.count) {
                leasedCount += targets.count
                status = .integer(MessageStatus.sending.rawValue)
                due = Self.time(message.createdAt.adding(lease))
                for target in targets { handOffTargets[message.id.rawValue + " " + target.id.rawValue] = target }
            }
            for target in targets {
                deliveryBinds += [
                    .text(message.id.rawValue), .text(target.id.rawValue), .text(message.appID.rawValue),
                    .text(message.orgID.rawValue), status, due, now, now,
                ]
            }
        }
        // At most 1 000 rows a statement, well inside SQLite's limit on bound values.
        let rowSize = 8
        var start = 0
        var leased: [ClaimedDelivery] = []
        // Only a hand-off needs the messages by id.
        let byID = handOffTargets.isEmpty
            ? [:] : Dictionary(messages.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        while start < deliveryBinds.count {
            let end = min(deliveryBinds.count, start + 1000 * rowSize)
            let rows = (end - start) / rowSize
            let sql = """
                INSERT INTO deliveries (msg_id, endpoint_id, app_id, org_id, status, trigger_type, next_attempt_at,
                created_at, updated_at) VALUES \(Array(repeating: "(?, ?, ?, ?, ?, 0, ?, ?, ?)", count: rows).joined(separator: ", "))
                """
            if handOffTargets.isEmpty {
                try connection.rows(sql, Array(deliveryBinds[start..<end]))
            } else {
                for row in try connection.rows(
                    sql + " RETURNING id, msg_id, endpoint_id",
                    Array(deliveryBinds[start..<end])
                ) {
                    let messageID = row.string("msg_id")
                    guard let endpoint = handOffTargets[messageID + " " + row.string("endpoint_id")],
                        let message = byID[messageID]
                    else { continue }
                    leased.append(
                        ClaimedDelivery(
                            id: Int64(row.int("id")),
                            message: message,
                            endpoint: endpoint,
                            attemptCount: 0,
                            trigger: .scheduled
                        )
                    )
                }
            }
            start = end
        }
        if !leased.isEmpty {
            let index = Dictionary(uniqueKeysWithValues: messages.enumerated().map { ($1.id.rawValue, $0) })
            for delivery in leased.sorted(by: { $0.id < $1.id }) {
                if let position = index[delivery.message.id.rawValue] { results[position].handedOff.append(delivery) }
            }
        }
        // Their deliveries are claimed soon: keep the messages that have any, so claims need not read them back.
        recent.insert(zip(messages, results).filter { $0.1.queued > 0 }.map(\.0))
        return results
    }
}
