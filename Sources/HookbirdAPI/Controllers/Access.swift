//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage

/// Finds what a request names, within what its caller may see: applications of the caller's organisation (only
/// its own one for an app-scoped token), endpoints and messages of that application. Anything else is 404.
struct Access {
    let store: any HookbirdStore

    func application(_ idOrUID: String, for principal: Principal) async throws -> Application {
        guard let application = try await store.application(org: principal.orgID, idOrUID: idOrUID),
            principal.appID == nil || principal.appID == application.id
        else { throw APIError.notFound() }
        return application
    }

    func endpoint(_ idOrUID: String, in application: Application) async throws -> Endpoint {
        guard let endpoint = try await store.endpoint(app: application.id, idOrUID: idOrUID) else {
            throw APIError.notFound()
        }
        return endpoint
    }

    func message(_ idOrEventID: String, in application: Application) async throws -> Message {
        guard let message = try await store.message(app: application.id, idOrEventID: idOrEventID) else {
            throw APIError.notFound()
        }
        return message
    }

    /// The names among `names` that are not live event types, as a 422 on `eventTypes`.
    func checkEventTypes(_ names: [String]?, org: OrganizationID) async throws {
        guard let names else { return }
        let unknown = try await store.unknownEventTypes(org: org, names: Array(Set(names)).sorted())
        if !unknown.isEmpty {
            throw ValidationFailure(
                loc: ["body", "eventTypes"],
                msg: "The following event types don't exist: \(unknown.joined(separator: ", "))"
            )
        }
    }
}

extension FieldError {
    /// Rethrows a field error as a 422.
    static func check(_ body: () throws(FieldError) -> Void) throws {
        do {
            try body()
        } catch {
            throw ValidationFailure(error)
        }
    }
}
