//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import HookbirdSQL
import HookbirdStorage
import NIOCore
import SQLiteNIO

extension SQLiteStore {
    public func recordInboundRequest(_ request: StoredInboundRequest, message: Message?) async throws
        -> StoredInboundRequest
    {
        // Requests recorded in the same transaction are written together (see `recordInboundRequests`).
        let item = InboundRecord(request: request, message: message)
        let recorded = try await writer.writeMergeable(Self.inboundRecord, item) { connection in
            try Self.recordInboundRequests(
                [item],
                on: connection,
                cache: self.fanOutCache,
                recent: self.recentMessages,
                secrets: self.secrets,
                handOff: self.handOff
            )[0]
        }
        dispatch(recorded.inserted)
        return recorded.request
    }

    /// A provider's request to record, with the message it becomes when it is accepted.
    struct InboundRecord: Sendable {
        var request: StoredInboundRequest
        var message: Message?
    }

    /// What recording one request wrote.
    struct RecordedInbound: Sendable {
        /// As stored: an accepted request whose event id was seen before is a duplicate.
        var request: StoredInboundRequest
        var inserted = InsertedMessage()
    }

    /// Records providers' requests: dedupes accepted ones by event id (against the table and each other), inserts
    /// the messages of those still accepted (see ``insertMessages(_:on:cache:recent:secrets:handOff:)``) and the
    /// requests, with one statement per table; runs inside the caller's transaction. Throws (having written nothing)
    /// when a message is refused.
    static func recordInboundRequests(
        _ items: [InboundRecord],
        on connection: SQLiteHandle,
        cache: FanOutCache,
        recent: RecentMessages,
        secrets: SecretsCipher,
        handOff: DeliveryHandOff?
    ) throws -> [RecordedInbound] {
        var results = items.map { RecordedInbound(request: $0.request) }
        // Accepted event ids seen before, by source: in the table, then earlier in this batch.
        var eventIDs: [String: Set<String>] = [:]
        for item in items where item.request.outcome == .accepted {
            if let eventID = item.request.eventID { eventIDs[item.request.sourceID.rawValue, default: []].insert(eventID) }
        }
        var seen: [String: MessageID?] = [:]  // "source event" → its message
        for (source, ids) in eventIDs {
            for row in try connection.rows(
                """
                SELECT event_id, msg_id FROM inbound_requests
                WHERE source_id = ? AND event_id IN (\(placeholders(ids.count))) AND outcome = 'accepted'
                """,
                [.text(source)] + ids.map { .text($0) }
            ) {
                seen[source + " " + row.string("event_id")] = row.optionalString("msg_id").map(MessageID.init(unchecked:))
            }
        }
        var messages: [Message] = []
        var positions: [Int] = []
        for index in results.indices where results[index].request.outcome == .accepted {
            if let eventID = results[index].request.eventID {
                let key = results[index].request.sourceID.rawValue + " " + eventID
                if let earlier = seen[key] {
                    results[index].request.outcome = .duplicate
                    results[index].request.reason = "event \(eventID) was received before"
                    results[index].request.messageID = earlier
                    continue
                }
                seen[key] = items[index].message?.id
            }
            if let message = items[index].message {
                messages.append(message)
                positions.append(index)
                results[index].request.messageID = message.id
            }
        }
        if !messages.isEmpty {
            let inserted = try insertMessages(
                messages,
                on: connection,
                cache: cache,
                recent: recent,
                secrets: secrets,
                handOff: handOff
            )
            for (position, one) in zip(positions, inserted) { results[position].inserted = one }
        }
        var binds: [SQLiteData] = []
        binds.reserveCapacity(results.count * 14)
        for result in results {
            let request = result.request
            binds += [
                .text(request.id.rawValue), .text(request.sourceID.rawValue), .text(request.orgID.rawValue),
                .text(request.method), .text(request.path), text(request.query),
                .text(JSONValue.array(request.headers.map { .array($0.map(JSONValue.string)) }).compactJSON()),
                .blob(ByteBuffer(bytes: request.body)), text(request.remoteAddress),
                time(request.receivedAt), .text(request.outcome.rawValue), text(request.reason),
                text(request.eventID), text(request.messageID?.rawValue),
            ]
        }
        try connection.rows(
            "INSERT INTO inbound_requests (\(StoredRows.inboundColumns)) VALUES "
                + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: results.count)
                .joined(separator: ", "),
            binds
        )
        return results
    }
}
