//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdHTTP
import HookbirdOperations
import HookbirdCore
import Hummingbird
import Logging

/// Sign-in and sign-out.
extension DashboardController {
    /// The session cookie for a new session, or (with `nil`) the one that deletes it.
    func sessionCookie(_ session: DashboardSession?) -> Cookie {
        Cookie(
            name: Self.sessionCookie,
            value: session?.id ?? "",
            maxAge: session == nil ? 0 : Int(configuration.sessionLifetime),
            path: "/dashboard",
            secure: configuration.secureCookies,
            httpOnly: true,
            sameSite: .strict
        )
    }

    /// The sign-in form's CSRF cookie (`token`), or the one that deletes it.
    func loginCookie(_ token: String?) -> Cookie {
        Cookie(
            name: Self.loginCookie,
            value: token ?? "",
            maxAge: token == nil ? 0 : 3600,
            path: "/dashboard/login",
            secure: configuration.secureCookies,
            httpOnly: true,
            sameSite: .strict
        )
    }

    /// The sign-in page, with a fresh CSRF token in its form and cookie.
    func loginResponse(error: String?, status: HTTPResponse.Status) -> Response {
        let token = SessionStore.randomToken()
        let page = Page(
            title: "Sign in",
            signedIn: false,
            orgScope: false,
            who: "",
            csrf: token,
            crumbs: [],
            flash: nil,
            body: LoginBody(error: error)
        )
        var response = pages.response("login", page, status: status)
        response.setCookie(loginCookie(token))
        return response
    }

    @Sendable func loginPage(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        if await optionalSession(request) != nil { return PageRenderer.redirect(to: "/dashboard/apps") }
        return loginResponse(error: nil, status: .ok)
    }

    /// Checks the token as the API does (``Authenticator``) and starts a session; a wrong token gets the sign-in
    /// page again with a 401.
    @Sendable func login(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let form = try await form(request)
        guard let expected = request.cookies[Self.loginCookie]?.value, !expected.isEmpty,
            SessionStore.tokensMatch(form.csrf, expected)
        else { throw CSRFMismatch() }
        let token = (form.token ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let principal: Principal
        do {
            guard !token.isEmpty else { throw APIError.unauthorized("Enter an API token.") }
            principal = try await authenticator.principal(bearer: token)
        } catch let error as APIError {
            let detail = error.status == .forbidden ? "This token may not use the dashboard." : error.detail
            return loginResponse(error: detail, status: .unauthorized)
        }
        let session = try await sessions.create(for: principal)
        context.logger.info("dashboard sign-in", metadata: ["hookbird.org_id": "\(principal.orgID.rawValue)"])
        var response = PageRenderer.redirect(to: "/dashboard/apps")
        response.setCookie(sessionCookie(session))
        response.setCookie(loginCookie(nil))
        return response
    }

    /// Ends the session and deletes its cookie.
    @Sendable func logout(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (session, _) = try await checkedForm(request)
        try await sessions.remove(session.id)
        var response = PageRenderer.redirect(to: "/dashboard/login")
        response.setCookie(sessionCookie(nil))
        return response
    }
}
