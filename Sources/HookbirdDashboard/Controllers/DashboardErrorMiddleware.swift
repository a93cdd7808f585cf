//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdAPI
import HookbirdCore
import HookbirdStorage
import Hummingbird
import Logging

/// Answers the dashboard's failures as HTML pages rather than the API's JSON: a missing session with a 303 to the
/// sign-in page, a CSRF mismatch with 403, an unknown id or page with 404, and so on.
struct DashboardErrorMiddleware: RouterMiddleware {
    typealias Context = HookbirdRequestContext
    let dashboard: DashboardController

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is SignInRequired {
            return PageRenderer.redirect(to: "/dashboard/login")
        } catch is CSRFMismatch {
            return await page(
                request,
                .forbidden,
                "Forbidden",
                "The form was stale or did not come from this dashboard. Reload the page and try again."
            )
        } catch let error as APIError {
            return await page(request, error.status, error.status.reasonPhrase, Self.detail(error))
        } catch let error as ValidationFailure {
            return await page(request, error.status, "Invalid request", error.errors.map(\.msg).joined(separator: "; "))
        } catch let error as StorageError where error.isNotFound {
            return await page(request, .notFound, "Not Found", "There is nothing here.")
        } catch let error as StorageError {
            context.logger.error("storage unavailable", metadata: ["error": "\(error)"])
            return await page(request, .serviceUnavailable, "Unavailable", "The database is unavailable. Try again.")
        } catch let error as any HTTPResponseError {
            let detail = error.status == .notFound ? "There is nothing here." : "\(error.status.reasonPhrase)."
            return await page(request, error.status, error.status.reasonPhrase, detail)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("dashboard error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return await page(request, .internalServerError, "Internal Server Error", "Something went wrong.")
        }
    }

    static func detail(_ error: APIError) -> String {
        switch error.status {
        case .notFound: "There is nothing here, or your token may not see it."
        case .forbidden: "Your token may not see this."
        default: error.detail
        }
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
