//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import HookbirdStorage

extension Operations {
    /// Forwards an accepted (or duplicate) stored request's event again, as a new message in the source's
    /// application.
    /// - Returns: The new message.
    /// - Throws: ``OperationsError`` 400 `not_replayable` for a request that made no message.
    public func replay(_ stored: StoredInboundRequest, of source: Source) async throws -> Message {
        guard stored.outcome == .accepted || stored.outcome == .duplicate, let messageID = stored.messageID,
            let original = try await store.message(app: source.appID, idOrEventID: messageID.rawValue)
        else {
            throw OperationsError.rejected("not_replayable", "Only accepted requests can be replayed.")
        }
        let now = Timestamp.now
        let message = Message(
            id: .generate(at: now),
            appID: original.appID,
            orgID: original.orgID,
            eventType: original.eventType,
            eventID: nil,
            channels: original.channels,
            payload: original.payload,
            retentionDays: original.retentionDays,
            createdAt: now
        )
        try await store.insertMessage(message)
        return message
    }
}
