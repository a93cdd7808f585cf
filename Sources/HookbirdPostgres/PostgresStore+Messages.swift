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

    /// Writes a batch of messages in one statement (``PostgresStatements/InsertMessages``), announcing the work it
    /// queued once it has committed; a message the statement refused fails with the key it was refused for.
    func insertMessages(_ messages: [Message]) async -> [Result<Int, any Error>] {
        do {
            let (queued, refused) = try await withConnection { connection in
                try await Self.insertMessages(messages, on: connection, logger: self.logger)
            }
            if queued.values.contains(where: { $0 > 0 }) { deliveriesQueued() }
            return messages.map { message in
                if let count = queued[message.id.rawValue] { return .success(count) }
                return .failure(refused[message.id.rawValue] ?? StorageError.duplicate("id"))
            }
        } catch {
            let error = Self.translate(error)
            return messages.map { _ in .failure(error) }
        }
    }

    /// Inserts messages and their deliveries on `connection` (alone, or inside the caller's transaction).
    /// - Returns: The deliveries each inserted message queued, by message id; and for each refused message, why.
    static func insertMessages(_ messages: [Message], on connection: PostgresConnection, logger: Logger) async throws
        -> (queued: [String: Int], refused: [String: StorageError])
    {
        var queued: [String: Int] = [:]
        for try await row in try await connection.execute(
            PostgresStatements.InsertMessages(messages: messages),
            logger: logger
        ) {
            queued[row.id] = row.queued
        }
        let missing = messages.filter { queued[$0.id.rawValue] == nil }
        guard !missing.isEmpty else { return (queued, [:]) }
        // Refused because the application is gone, or by a unique key: name the key, as a lone insert would.
        var refused: [String: StorageError] = [:]
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
            refused[message.id.rawValue] = reason
        }
        return (queued, refused)
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
