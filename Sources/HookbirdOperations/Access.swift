//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage

/// Finds what a request names, within what its caller may see: applications of the caller's organisation (only
/// its own one for an app-scoped token), endpoints and messages of that application. Anything else is 404.
/// The dashboard looks things up through it too, so both see the same.
public struct Access: Sendable {
    package let store: any HookbirdStore

    public init(store: any HookbirdStore) { self.store = store }

    /// - Throws: ``OperationsError`` 404 when the caller may not see it.
    public func application(_ idOrUID: String, for principal: Principal) async throws -> HookbirdCore.Application {
        guard let application = try await store.application(org: principal.orgID, idOrUID: idOrUID),
            principal.appID == nil || principal.appID == application.id
        else { throw OperationsError.notFound() }
        return application
    }

    /// - Throws: ``OperationsError`` 404.
    public func endpoint(_ idOrUID: String, in application: HookbirdCore.Application) async throws -> Endpoint {
        guard let endpoint = try await store.endpoint(app: application.id, idOrUID: idOrUID) else {
            throw OperationsError.notFound()
        }
        return endpoint
    }

    /// - Throws: ``OperationsError`` 404.
    public func message(_ idOrEventID: String, in application: HookbirdCore.Application) async throws -> Message {
        guard let message = try await store.message(app: application.id, idOrEventID: idOrEventID) else {
            throw OperationsError.notFound()
        }
        return message
    }

    /// A source of the caller's organisation; sources are the organisation's, so an app-scoped token gets 403.
    /// - Throws: ``OperationsError`` 403 or 404.
    public func source(_ idOrUID: String, for principal: Principal) async throws -> Source {
        try principal.requireOrganization()
        guard let source = try await store.source(org: principal.orgID, idOrUID: idOrUID) else {
            throw OperationsError.notFound()
        }
        return source
    }

    /// The names among `names` that are not live event types, as a 422 on `eventTypes`.
    public func checkEventTypes(_ names: [String]?, org: OrganizationID) async throws {
        guard let names else { return }
        let unknown = try await store.unknownEventTypes(org: org, names: Array(Set(names)).sorted())
        if !unknown.isEmpty {
            throw OperationsError.invalid(
                ["body", "eventTypes"],
                "The following event types don't exist: \(unknown.joined(separator: ", "))"
            )
        }
    }
}
