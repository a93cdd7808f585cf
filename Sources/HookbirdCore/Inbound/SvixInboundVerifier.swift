//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Svix (and services sending through it: Clerk, Resend, …): Standard Webhooks with `svix-id`, `svix-timestamp` and
/// `svix-signature`; when no `svix-*` header is present, the `webhook-*` ones are used, as Svix's libraries do.
///
/// See ``StandardWebhooksInboundVerifier`` for the scheme, event type and id. Default tolerance 300 s.
public struct SvixInboundVerifier: InboundVerifier {
    public static let provider = "svix"
    public static let defaultToleranceSeconds: Int? = 300

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        StandardWebhooksInboundVerifier.verify(
            request,
            settings: settings,
            now: now,
            headerPrefixes: ["svix", "webhook"]
        )
    }
}
