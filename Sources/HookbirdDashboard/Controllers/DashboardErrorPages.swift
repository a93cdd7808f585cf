//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
import HookbirdCore
import HookbirdHTTP
import Hummingbird

/// The dashboard's answers to failures, as pages (the web kernel's `ErrorMiddleware` decides the status, once for
/// every surface): a visitor without a session is sent to sign in, a stale form gets a 403 page, anything else a page
/// saying what happened, in the dashboard's frame when there is a session.
struct DashboardErrorPages: ErrorRenderer {
    typealias Context = HookbirdRequestContext
    let dashboard: DashboardController

    func response(for error: any Error, request: Request, context: Context) async -> Response? {
        switch error {
        case is SignInRequired:
            return PageRenderer.redirect(to: "/dashboard/login")
        case is CSRFMismatch:
            return await page(
                request,
                .forbidden,
                "Forbidden",
                "The form was stale or did not come from this dashboard. Reload the page and try again."
            )
        default:
            return nil
        }
    }

    func response(for problem: HTTPProblem, request: Request, context: Context) async throws -> Response {
        let detail: String
        switch problem.status {
        case .notFound: detail = "There is nothing here, or your token may not see it."
        case .forbidden: detail = "Your token may not see this."
        case .internalServerError: detail = "Something went wrong."
        case .serviceUnavailable: detail = "The database is unavailable. Try again."
        case .unprocessableContent: detail = problem.fieldErrors.map(\.msg).joined(separator: "; ")
        default: detail = problem.detail
        }
        let heading = problem.status == .unprocessableContent ? "Invalid request" : problem.status.reasonPhrase
        return await page(request, problem.status, heading, detail)
    }

    func page(_ request: Request, _ status: HTTPResponse.Status, _ heading: String, _ detail: String) async -> Response
    {
        let body = ErrorPageBody(status: status.code, heading: heading, detail: detail)
        guard let session = await dashboard.optionalSession(request) else {
            let page = Page(
                title: heading,
                signedIn: false,
                orgScope: false,
                who: "",
                csrf: "",
                crumbs: [],
                flash: nil,
                body: body
            )
            return dashboard.pages.response("error", page, status: status)
        }
        return dashboard.pages.response(
            "error",
            await dashboard.page(heading, session: session, body: body),
            status: status
        )
    }
}
