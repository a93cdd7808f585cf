//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
import HookbirdCore
import HookbirdHTTP

/// What the gateway makes of a provider's request, before anything is stored: refused (and why), a handshake to
/// answer, or an event to accept. Decided by ``IngestVerdict/evaluate(source:request:bodyTooLarge:remoteAddress:now:)``
/// alone; the controller then records the request once and answers.
enum IngestVerdict: Sendable, Hashable {
    case refused(IngestRefusal)
    case handshake(JSONValue)
    case accepted(InboundEvent)

    /// Checks, in order: the body's size, the remote address against the source's allowlist, the provider's
    /// verifier.
    /// - Parameters:
    ///   - source: The source the request came to.
    ///   - request: The request as the verifier reads it (its body empty when it was too large to read).
    ///   - bodyTooLarge: The body is over the source's `maxBody` (and was not read whole).
    ///   - remoteAddress: The provider's address (behind a trusted proxy, the forwarded one).
    ///   - now: The time of arrival.
    static func evaluate(
        source: Source,
        request: InboundRequest,
        bodyTooLarge: Bool,
        remoteAddress: String?,
        now: Timestamp
    ) -> IngestVerdict {
        if bodyTooLarge { return .refused(.tooLarge(limit: source.maxBody)) }
        if !source.allowedIPs.isEmpty {
            let ranges = source.allowedIPs.compactMap(IPRange.init)
            guard let remoteAddress, let address = IPAddress(remoteAddress),
                ranges.contains(where: { $0.contains(address) })
            else { return .refused(.addressNotAllowed(remoteAddress)) }
        }
        // A source is only created with a known provider; fail closed anyway.
        guard let verifier = InboundVerifiers.verifier(for: source.settings.provider) else {
            return .refused(.unknownProvider(source.settings.provider))
        }
        switch verifier.verify(request, settings: source.settings, now: now) {
        case .accepted(let event): return .accepted(event)
        case .handshake(let answer): return .handshake(answer)
        case .refused(let refusal): return .refused(.verifier(refusal))
        }
    }
}

/// Why the gateway refuses a request: what is stored with it, and what the provider is answered.
enum IngestRefusal: Sendable, Hashable {
    /// The body is over the source's limit: 413, before it is read whole.
    case tooLarge(limit: Int)
    /// The remote address is outside the source's `allowedIps`: 403.
    case addressNotAllowed(String?)
    /// The source names a provider this server has no verifier for: 401, failing closed.
    case unknownProvider(String)
    /// The provider's verifier refused it: 401 for a signature that does not hold, 400 for a genuine request whose
    /// body cannot be forwarded.
    case verifier(InboundRefusal)

    /// The reason stored with the request.
    var reason: String {
        switch self {
        case .tooLarge(let limit): "payload too large (over \(limit) bytes)"
        case .addressNotAllowed(let remote): "remote address \(remote ?? "unknown") is not allowed"
        case .unknownProvider(let provider): "unknown provider \(provider)"
        case .verifier(let refusal): refusal.reason
        }
    }

    /// The answer to the provider.
    var error: APIError {
        switch self {
        case .tooLarge: .payloadTooLarge()
        case .addressNotAllowed: APIError(status: .forbidden, code: "forbidden", detail: reason)
        case .unknownProvider: APIError(status: .unauthorized, code: "invalid_signature", detail: reason)
        case .verifier(let refusal) where refusal.kind == .payload:
            APIError(status: .badRequest, code: "invalid_payload", detail: reason)
        case .verifier: APIError(status: .unauthorized, code: "invalid_signature", detail: reason)
        }
    }
}
