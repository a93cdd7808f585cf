//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature` (space-separated `v1,<base64>`
/// entries), each the HMAC-SHA256 of `"{id}.{timestamp}.{body}"` keyed with the base64-decoded part of the
/// `whsec_…` secret (a secret without the prefix is taken as bare base64, as the reference libraries do).
///
/// Any matching `v1` entry is enough. The event type is the body's `type` when it is a string, else `webhook`; the
/// event id is `webhook-id`. Default tolerance 300 s, as the reference libraries.
public struct StandardWebhooksInboundVerifier: InboundVerifier {
    public static let provider = "standard-webhooks"
    public static let defaultToleranceSeconds: Int? = 300

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        Self.verify(request, settings: settings, now: now, headerPrefixes: ["webhook"])
    }

    /// Verifies with the first header set present, by prefix (`svix` then `webhook` for Svix).
    static func verify(
        _ request: InboundRequest,
        settings: InboundSourceSettings,
        now: Timestamp,
        headerPrefixes: [String]
    ) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let prefix =
                headerPrefixes.first { prefix in
                    ["id", "timestamp", "signature"].contains { request.header("\(prefix)-\($0)") != nil }
                } ?? headerPrefixes.last!
            let id = try InboundSupport.require("\(prefix)-id", in: request)
            let timestamp = try InboundSupport.require("\(prefix)-timestamp", in: request)
            let header = try InboundSupport.require("\(prefix)-signature", in: request)
            let seconds = try InboundSupport.unixSeconds(timestamp, what: "\(prefix)-timestamp header")
            try InboundSupport.checkFreshness(
                seconds,
                now: now,
                tolerance: InboundSupport.tolerance(settings, default: Self.defaultToleranceSeconds!)
            )
            let signatures = header.split(separator: " ").compactMap { entry -> [UInt8]? in
                guard entry.hasPrefix("v1,") else { return nil }
                return InboundSupport.unbase64(entry.dropFirst(3))
            }
            guard !signatures.isEmpty else { throw InboundSupport.Refusal("\(prefix)-signature has no v1 signature") }
            let keys = secrets.compactMap { secret in
                InboundSupport.unbase64(
                    secret.hasPrefix(EndpointSecret.prefix)
                        ? secret.dropFirst(EndpointSecret.prefix.count) : secret[...]
                )
            }
            guard !keys.isEmpty else { throw InboundSupport.Refusal("the source has no valid whsec_ secret") }
            let content = Array("\(id).\(timestamp).".utf8) + request.body
            guard keys.contains(where: { InboundSupport.anyValid(signatures, content: content, key: $0) }) else {
                throw InboundSupport.Refusal("no signature matches")
            }
            let payload = try InboundSupport.payload(request)
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(payload[member: "type"]?.stringValue),
                    eventID: id,
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
