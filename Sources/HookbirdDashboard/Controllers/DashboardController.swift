//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import Foundation
public import HookbirdHTTP
import HookbirdOperations
import HookbirdCore
public import HookbirdStorage
public import Hummingbird
import Logging
import NIOCore

/// Settings of the dashboard.
public struct DashboardConfiguration: Sendable {
    /// The base URL providers reach Hookbird at, for sources' ingest URLs.
    public var publicURL: String
    /// Mark the session cookie `Secure`: set when Hookbird serves TLS.
    public var secureCookies: Bool
    /// How long a session lasts after sign-in.
    public var sessionLifetime: TimeInterval

    public init(
        publicURL: String = "http://127.0.0.1:8071",
        secureCookies: Bool = false,
        sessionLifetime: TimeInterval = 12 * 3600
    ) {
        self.publicURL = publicURL
        self.secureCookies = secureCookies
        self.sessionLifetime = sessionLifetime
    }
}

/// The web dashboard at `/dashboard`: server-rendered pages over the same store, access rules and operations as
/// the API.
///
/// Sign-in takes an API token (the admin token, or a JWT the API accepts) and starts a session kept in the
/// database, so that any node serves it (see ``SessionStore``); its cookie is `HttpOnly`, `SameSite=Strict`,
/// `Path=/dashboard` (and `Secure` under TLS).
/// Every form that changes something carries the session's CSRF token, and a POST without the right one gets 403.
/// An app-scoped token sees only its application; sources are shown to organisation tokens only.
///
/// ```swift
/// let dashboard = try DashboardController(store: store, authenticator: authenticator, configuration: .init())
/// dashboard.addRoutes(to: router)
/// ```
public struct DashboardController: Sendable {
    let store: any HookbirdStore
    let authenticator: Authenticator
    let configuration: DashboardConfiguration
    let sessions: SessionStore
    let pages: PageRenderer
    /// What this node's delivery engine does for an endpoint (its page shows it).
    let activity: EndpointActivity?
    var access: Access { Access(store: store) }
    var operations: Operations { Operations(store: store) }

    /// The session cookie.
    static let sessionCookie = "hookbird_session"
    /// The sign-in form's CSRF token, as a double-submit cookie (there is no session yet).
    static let loginCookie = "hookbird_login"
    /// Rows per page of every list.
    static let pageSize = 25

    /// - Throws: When a template does not compile (a bug, caught by the tests).
    public init(
        store: any HookbirdStore,
        authenticator: Authenticator,
        configuration: DashboardConfiguration,
        sessions: SessionStore? = nil,
        activity: EndpointActivity? = nil
    ) throws {
        self.activity = activity
        self.store = store
        self.authenticator = authenticator
        self.configuration = configuration
        self.sessions = sessions ?? SessionStore(store: store, lifetime: configuration.sessionLifetime)
        self.pages = try PageRenderer()
    }

    /// Adds `/dashboard` and the pages under it.
    public func addRoutes(to router: Router<HookbirdRequestContext>) {
        router.get("/dashboard") { _, _ in PageRenderer.redirect(to: "/dashboard/apps") }
        let group = router.group("/dashboard").add(middleware: ErrorMiddleware(renderer: DashboardErrorPages(dashboard: self)))
        group.get("style.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: Stylesheet.css))
            )
        }
        group.get("login", use: loginPage)
        group.post("login", use: login)
        group.post("logout", use: logout)
        group.get("apps", use: applicationsPage)
        group.get("apps/:app_id", use: applicationPage)
        group.get("apps/:app_id/messages/:msg_id", use: messagePage)
        group.post("apps/:app_id/messages/:msg_id/resend", use: resend)
        group.get("apps/:app_id/endpoints/:endpoint_id", use: endpointPage)
        group.post("apps/:app_id/endpoints/:endpoint_id/enable", use: enable)
        group.post("apps/:app_id/endpoints/:endpoint_id/disable", use: disable)
        group.post("apps/:app_id/endpoints/:endpoint_id/rotate", use: rotate)
        group.post("apps/:app_id/endpoints/:endpoint_id/recover", use: recover)
        group.post("apps/:app_id/endpoints/:endpoint_id/replay-missing", use: replayMissing)
        group.get("sources", use: sourcesPage)
        group.get("sources/:source_id", use: sourcePage)
        group.post("sources/:source_id/requests/:request_id/replay", use: replaySourceRequest)
        // Anything else under /dashboard is a 404 page, not the API's JSON 404.
        group.get("**") { _, _ -> Response in throw HTTPError(.notFound) }
        group.post("**") { _, _ -> Response in throw HTTPError(.notFound) }
    }
}

/// The fields of the dashboard's forms; each form sends the ones it has.
struct DashboardForm: Decodable {
    var csrf: String?
    var token: String?
    var endpointID: String?
    var since: String?
    var gracePeriodSeconds: Int?

    enum CodingKeys: String, CodingKey {
        case csrf, token, since
        case endpointID = "endpoint_id"
        case gracePeriodSeconds = "grace_period_seconds"
    }
}

/// Thrown when a page needs a session and the request has none: answered with a 303 to the sign-in page.
struct SignInRequired: Error {}

/// Thrown when a POST's CSRF token is missing or wrong: answered with a 403 page.
struct CSRFMismatch: Error {}

extension DashboardController {
    /// The request's live session.
    /// - Throws: ``SignInRequired``.
    func session(_ request: Request) async throws -> DashboardSession {
        guard let id = request.cookies[Self.sessionCookie]?.value, !id.isEmpty,
            let session = try await sessions.session(id)
        else { throw SignInRequired() }
        return session
    }

    /// The request's live session, if any (for pages that render either way, such as errors).
    func optionalSession(_ request: Request) async -> DashboardSession? {
        try? await session(request)
    }

    /// The fields of a submitted form (`application/x-www-form-urlencoded`, at most 64 kB).
    func form(_ request: Request) async throws -> DashboardForm {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        do {
            return try URLEncodedFormDecoder().decode(DashboardForm.self, from: String(buffer: buffer))
        } catch {
            throw APIError.badRequest("bad_form", "The form could not be read.")
        }
    }

    /// The session of a POST whose form carries the session's CSRF token, and the form.
    /// - Throws: ``SignInRequired``, ``CSRFMismatch``.
    func checkedForm(_ request: Request) async throws -> (DashboardSession, DashboardForm) {
        let session = try await session(request)
        let form = try await form(request)
        guard SessionStore.tokensMatch(form.csrf, session.csrfToken) else { throw CSRFMismatch() }
        return (session, form)
    }

    /// The layout's fields for a signed-in page.
    func page<Body>(
        _ title: String,
        session: DashboardSession,
        crumbs: [Crumb] = [],
        body: Body
    ) async -> Page<Body> {
        let principal = session.principal
        // Shown on this page, then cleared; should clearing fail (an outage), the notice shows once more.
        if session.flash != nil { try? await sessions.clearFlash(of: session) }
        return Page(
            title: title,
            signedIn: true,
            orgScope: principal.appID == nil,
            who: principal.appID.map { "app \($0.rawValue)" } ?? principal.orgID.rawValue,
            csrf: session.csrfToken,
            crumbs: crumbs,
            flash: session.flash,
            body: body
        )
    }

    /// After an action: a notice for the next page, and a 303 back to `location`. The action has happened: should
    /// storing its notice fail, the page comes without it rather than as an error page.
    func done(_ session: DashboardSession, _ flash: Flash, back location: String) async -> Response {
        try? await sessions.setFlash(flash, for: session.id)
        return PageRenderer.redirect(to: location)
    }

    /// Runs an action; a refusal (the use case's, or a 400, 409 or 422) comes back to `location` as an error notice,
    /// anything else (not found, forbidden, an outage) propagates to the error page.
    func perform(
        _ session: DashboardSession,
        back location: String,
        _ action: () async throws -> Flash
    ) async throws -> Response {
        do {
            return await done(session, try await action(), back: location)
        } catch let error as OperationsError where error.isRejected || error.isConflict || error.isInvalid {
            return await done(session, Flash(error.detail, isError: true), back: location)
        } catch let error as APIError where [.badRequest, .conflict].contains(error.status) {
            return await done(session, Flash(error.detail, isError: true), back: location)
        } catch let error as ValidationFailure {
            return await done(
                session,
                Flash(error.errors.map(\.msg).joined(separator: "; "), isError: true),
                back: location
            )
        }
    }
}
