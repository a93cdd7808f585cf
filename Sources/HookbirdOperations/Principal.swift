//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

/// Who a request acts for: an organisation, and for app-scoped tokens one application of it.
public struct Principal: Sendable, Hashable {
    public var orgID: OrganizationID
    /// Set for an app-scoped token: the only application it may see.
    public var appID: ApplicationID?

    public init(orgID: OrganizationID, appID: ApplicationID? = nil) {
        self.orgID = orgID
        self.appID = appID
    }

    /// Routes that only an organisation token may use (app create/list/update/delete, message create, event type
    /// writes) answer 403 to an app-scoped token.
    public func requireOrganization() throws {
        if appID != nil { throw OperationsError.forbidden }
    }
}
