//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdHTTP
import HookbirdOperations
import HookbirdCore
import HookbirdStorage
import Hummingbird

/// The buttons: each checks the session's CSRF token, performs the API's own operation (``Operations``), and
/// comes back to its page with a notice.
extension DashboardController {
    @Sendable func resend(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (session, form) = try await checkedForm(request)
        let application = try await access.application(try context.parameters.require("app_id"), for: session.principal)
        let message = try await access.message(try context.parameters.require("msg_id"), in: application)
        let endpoint = try await access.endpoint(form.endpointID ?? "", in: application)
        return try await perform(session, back: Paths.message(message)) {
            try await operations.resend(message, to: endpoint)
            return endpoint.disabled
                ? Flash("The endpoint is disabled; nothing was sent.", isError: true)
                : Flash("Resend queued to \(endpoint.url).")
        }
    }

    /// The application and endpoint an endpoint action names, and the session and form.
    func endpointAction(_ request: Request, context: HookbirdRequestContext) async throws
        -> (DashboardSession, DashboardForm, HookbirdCore.Application, Endpoint)
    {
        let (session, form) = try await checkedForm(request)
        let application = try await access.application(try context.parameters.require("app_id"), for: session.principal)
        let endpoint = try await access.endpoint(try context.parameters.require("endpoint_id"), in: application)
        return (session, form, application, endpoint)
    }

    @Sendable func enable(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        try await setDisabled(false, request, context: context)
    }

    @Sendable func disable(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        try await setDisabled(true, request, context: context)
    }

    func setDisabled(_ disabled: Bool, _ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (session, _, application, endpoint) = try await endpointAction(request, context: context)
        return try await perform(session, back: Paths.endpoint(endpoint)) {
            _ = try await operations.setDisabled(
                disabled,
                endpoint: endpoint,
                application: application,
                logger: context.logger
            )
            return Flash(disabled ? "Endpoint disabled." : "Endpoint enabled.")
        }
    }

    @Sendable func rotate(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (session, form, application, endpoint) = try await endpointAction(request, context: context)
        return try await perform(session, back: Paths.endpoint(endpoint)) {
            let secret = try await operations.rotateSecret(
                of: endpoint,
                application: application,
                key: nil,
                gracePeriodSeconds: form.gracePeriodSeconds,
                logger: context.logger
            )
            return Flash("Secret rotated. The new secret is \(secret.publicKey ?? secret.encoded)")
        }
    }

    @Sendable func recover(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (session, form, _, endpoint) = try await endpointAction(request, context: context)
        return try await perform(session, back: Paths.endpoint(endpoint)) {
            let since = try Self.since(form)
            let count = try await operations.recover(
                endpoint: endpoint,
                since: since,
                until: nil,
                logger: context.logger
            )
            return Flash(
                "Recover queued \(count) message(s) that had failed since \(TimeText(since, now: .now).absolute)."
            )
        }
    }

    @Sendable func replayMissing(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (session, form, _, endpoint) = try await endpointAction(request, context: context)
        return try await perform(session, back: Paths.endpoint(endpoint)) {
            let since = try Self.since(form)
            let count = try await operations.replayMissing(
                endpoint: endpoint,
                since: since,
                until: nil,
                logger: context.logger
            )
            return Flash(
                "Replay queued \(count) message(s) never sent to this endpoint since \(TimeText(since, now: .now).absolute)."
            )
        }
    }

    @Sendable func replaySourceRequest(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let (session, _) = try await checkedForm(request)
        let source = try await access.source(try context.parameters.require("source_id"), for: session.principal)
        guard let id = InboundRequestID(rawValue: try context.parameters.require("request_id")),
            let stored = try await store.inboundRequest(source: source.id, id: id)
        else { throw APIError.notFound() }
        return try await perform(session, back: Paths.source(source)) {
            let message = try await operations.replay(stored, of: source)
            return Flash("Replayed as message \(message.id.rawValue).")
        }
    }

    /// The `since` field of a recover or replay form.
    static func since(_ form: DashboardForm) throws -> Timestamp {
        guard let text = form.since, let since = TimeText.parseInput(text) else {
            throw ValidationFailure(loc: ["body", "since"], msg: "Enter a date and time (UTC) for since.")
        }
        return since
    }
}
