//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// An event type of an organisation, identified by its name (e.g. `invoice.paid`).
public struct EventType: Hashable, Sendable {
    public var orgID: OrganizationID
    public var name: String
    public var description: String
    public var archived: Bool
    public var deprecated: Bool
    /// JSON schemas by version, e.g. `{"1": {…}}`.
    public var schemas: JSONValue?
    public var featureFlag: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        orgID: OrganizationID,
        name: String,
        description: String,
        archived: Bool,
        deprecated: Bool,
        schemas: JSONValue?,
        featureFlag: String?,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.orgID = orgID
        self.name = name
        self.description = description
        self.archived = archived
        self.deprecated = deprecated
        self.schemas = schemas
        self.featureFlag = featureFlag
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
