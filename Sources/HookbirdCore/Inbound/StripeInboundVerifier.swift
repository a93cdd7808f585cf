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
            let payload = try InboundSupport.timestampedSignature(
                request,
                settings: settings,
                now: now,
                header: "Stripe-Signature",
                itemSeparator: ",",
                timestampKey: "t",
                signatureKey: "v1",
                glue: ".",
                defaultTolerance: Self.defaultToleranceSeconds!
            )
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(payload[member: "type"]?.stringValue),
                    eventID: InboundSupport.eventID(payload[member: "id"]?.stringValue),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
