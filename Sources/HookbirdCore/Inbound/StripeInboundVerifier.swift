//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, each `v1` the hex HMAC-SHA256 of `"{t}.{body}"` keyed
/// with the whole `whsec_…` string (not base64-decoded).
///
/// Any matching `v1` is enough (Stripe sends one per secret while one is rolled). The event type is the body's
/// `type` (`invoice.paid`), the event id its `id` (`evt_…`). Default tolerance 300 s, as Stripe's libraries.
public struct StripeInboundVerifier: InboundVerifier {
    public static let provider = "stripe"
    public static let defaultToleranceSeconds: Int? = 300

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("Stripe-Signature", in: request)
            var timestamp: String?
            var signatures: [[UInt8]] = []
            for item in header.split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let key = InboundSupport.trim(parts[0])
                let value = InboundSupport.trim(parts[1])
                if key == "t", timestamp == nil {
                    timestamp = value
                } else if key == "v1", let mac = InboundSupport.unhex(value) {
                    signatures.append(mac)
                }
            }
            guard let timestamp else { throw InboundSupport.Refusal("Stripe-Signature has no timestamp") }
            guard !signatures.isEmpty else { throw InboundSupport.Refusal("Stripe-Signature has no v1 signature") }
            let seconds = try InboundSupport.unixSeconds(timestamp, what: "Stripe-Signature timestamp")
            try InboundSupport.checkFreshness(
                seconds,
                now: now,
                tolerance: InboundSupport.tolerance(settings, default: Self.defaultToleranceSeconds!)
            )
            let content = Array("\(timestamp).".utf8) + request.body
            guard
                secrets.contains(where: { InboundSupport.anyValid(signatures, content: content, key: Array($0.utf8)) })
            else { throw InboundSupport.Refusal("no signature matches") }
            let payload = try InboundSupport.payload(request)
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(payload[member: "type"]?.stringValue),
                    eventID: InboundSupport.eventID(payload[member: "id"]?.stringValue),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.reason)
        }
    }
}
