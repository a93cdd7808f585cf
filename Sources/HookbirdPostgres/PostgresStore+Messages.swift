//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import HookbirdSQL
import HookbirdStorage
import Logging
import PostgresNIO

extension PostgresStore {
    /// The message and its deliveries go out with the messages other requests are accepting at the same moment, in
    /// one statement (see ``messageBatcher``); a refused one (a duplicate key) fails alone.
    @discardableResult
    public func insertMessage(_ message: Message) async throws -> Int {
        try await messageBatcher.submit(message)
    }

    /// Writes a batch of messages in one statement (``PostgresStatements/InsertMessages``). When this node's delivery
    /// engine has room (its ``handOff`` is open), their deliveries are written leased to it and handed over once the
    /// statement has committed; what waits pending in the table (no room, or a listener connected elsewhere) is
    /// announced to every node. A message the statement refused fails with the reason.
    func insertMessages(_ messages: [Message]) async -> [Result<Int, any Error>] {
        do {
            let lease = handOff.leaseForHandOff(count: messages.count)
            let leaseUntil = lease.map { Timestamp.now.adding($0).microseconds } ?? 0
            let inserted = try await withConnection { connection in
                try await Self.insertMessages(
                    messages,
                    leaseUntil: leaseUntil,
                    nodeID: self.nodeID,
                    nodeKey: self.nodeKey,
                    secrets: self.secrets,
                    on: connection,
                    logger: self.logger
                )
            }
            handOff.submit(inserted.handedOff)
            if inserted.pending > 0 { deliveriesQueued() }
            return messages.map { message in
                if let count = inserted.queued[message.id.rawValue] { return .success(count) }
                return .failure(inserted.refused[message.id.rawValue] ?? StorageError.duplicate("id"))
            }
        } catch {
            let error = Self.translate(error)
            return messages.map { _ in .failure(error) }
        }
    }

    /// What inserting a batch of messages wrote.
    struct InsertedMessages: Sendable {
        /// The deliveries each inserted message queued, by message id.
        var queued: [String: Int] = [:]
        /// Why each refused message was refused, by message id.
        var refused: [String: StorageError] = [:]
        /// The deliveries written leased to this node, to hand to its engine.
        var handedOff: [ClaimedDelivery] = []
        /// The deliveries written pending, for a claim.
        var pending = 0
    }

    /// Inserts messages and their deliveries on `connection` (alone, or inside the caller's transaction), leased to
    /// this node until `leaseUntil` (microseconds; 0: pending).
    static func insertMessages(
        _ messages: [Message],
        leaseUntil: Int64,
        nodeID: String,
        nodeKey: Int64,
        secrets: SecretsCipher,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> InsertedMessages {
        var result = InsertedMessages()
        let byID = Dictionary(messages.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        var endpoints: [String: Endpoint] = [:]
        let statement = PostgresStatements.InsertMessages(
            messages: messages,
            leaseUntil: leaseUntil,
            nodeID: nodeID,
            nodeKey: nodeKey
        )
        for try await postgresRow in try await connection.execute(statement, logger: logger) {
            let row = PostgresResultRow(postgresRow)
            let messageID = row.string("message_id")
            if result.queued[messageID] == nil { result.queued[messageID] = 0 }
            guard let deliveryID = row.optionalInt("delivery_id") else { continue }
            result.queued[messageID, default: 0] += 1
            guard row.int("status") == MessageStatus.sending.rawValue, let endpointID = row.optionalString("e_id"),
                let message = byID[messageID]
            else {
                result.pending += 1
                continue
            }
            let endpoint = endpoints[endpointID] ?? StoredRows.endpoint(row, secrets: secrets, prefix: "e_")
            endpoints[endpointID] = endpoint
            result.handedOff.append(
                ClaimedDelivery(
                    id: Int64(deliveryID),
                    message: message,
                    endpoint: endpoint,
                    attemptCount: 0,
                    trigger: .scheduled
                )
            )
        }
        let missing = messages.filter { result.queued[$0.id.rawValue] == nil }
        guard !missing.isEmpty else { return result }
        // Refused because the application is gone, or by a unique key: name the key, as a lone insert would.
        for message in missing {
            var reason = StorageError.duplicate("id")
            if try await connection.rows(
                "SELECT 1 FROM applications WHERE id = \(message.appID.rawValue) AND NOT deleted",
                logger: logger
            ).isEmpty {
                reason = .notFound("application")
            } else if let eventID = message.eventID,
                try await !connection.rows(
                    """
                    SELECT 1 FROM messages WHERE app_id = \(message.appID.rawValue) AND event_id = \(eventID)
                    """,
                    logger: logger
                ).isEmpty
            {
                reason = .duplicate("eventId")
            } else if message.idempotencyKey != nil {
                reason = .duplicate("idempotencyKey")
            }
            result.refused[message.id.rawValue] = reason
        }
        return result
    }
}

extension PostgresStore {
    /// From what this node read in the last few seconds (``applicationsForMessages``): the message's insert checks that
    /// the application still exists, so only a renamed uid can be seen late, for at most that long.
    public func applicationForNewMessage(org: OrganizationID, idOrUID: String) async throws -> Application? {
        try await applicationsForMessages.value(org.rawValue + "|" + idOrUID) {
            try await self.application(org: org, idOrUID: idOrUID)
        }
    }
}
