//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// An event posted once by the business system, delivered to every matching endpoint.
public struct Message: Hashable, Sendable {
    public var id: MessageID
    public var appID: ApplicationID
    public var orgID: OrganizationID
    public var eventType: String
    public var eventID: String?
    public var channels: [String]?
    /// The JSON text (UTF-8) sent as the webhook body; signed and sent byte for byte. Kept as the bytes it was read
    /// as: it becomes text only where a database driver binds or returns a text column.
    public var payload: [UInt8]
    /// Days the payload is kept.
    public var retentionDays: Int
    public var createdAt: Timestamp
    /// The `Idempotency-Key` (hashed with the token and URI) it was created with: the key's only record, written
    /// with the message (unique per application), so that a repeat finds it instead of creating another.
    public var idempotencyKey: String?

    public init(
        id: MessageID,
        appID: ApplicationID,
        orgID: OrganizationID,
        eventType: String,
        eventID: String?,
        channels: [String]?,
        payload: [UInt8],
        retentionDays: Int,
        createdAt: Timestamp,
        idempotencyKey: String? = nil
    ) {
        self.id = id
        self.appID = appID
        self.orgID = orgID
        self.eventType = eventType
        self.eventID = eventID
        self.channels = channels
        self.payload = payload
        self.retentionDays = retentionDays
        self.createdAt = createdAt
        self.idempotencyKey = idempotencyKey
    }
}
