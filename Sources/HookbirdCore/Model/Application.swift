//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// An application: one customer of a tenant, owning endpoints and messages.
public struct Application: Hashable, Sendable {
    public var id: ApplicationID
    public var orgID: OrganizationID
    public var uid: String?
    public var name: String
    public var throttleRate: Int?
    public var metadata: [String: String]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: ApplicationID,
        orgID: OrganizationID,
        uid: String?,
        name: String,
        throttleRate: Int?,
        metadata: [String: String],
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.orgID = orgID
        self.uid = uid
        self.name = name
        self.throttleRate = throttleRate
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
