//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>…]`, each `h1` the hex HMAC-SHA256 of
/// `"{ts}:{body}"` under the notification secret.
///
/// Any matching `h1` is enough (several are sent while a secret is rotated). The event type is the body's
/// `event_type` (`transaction.completed`), the event id its `event_id`. Default tolerance 300 s (Hookbird's
/// default; Paddle's SDKs use 5 s, settable per source).
public struct PaddleInboundVerifier: InboundVerifier {
    public static let provider = "paddle"
    public static let defaultToleranceSeconds: Int? = 300

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let payload = try InboundSupport.timestampedSignature(
                request,
                settings: settings,
                now: now,
                header: "Paddle-Signature",
                itemSeparator: ";",
                timestampKey: "ts",
                signatureKey: "h1",
                glue: ":",
                defaultTolerance: Self.defaultToleranceSeconds!
            )
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(payload[member: "event_type"]?.stringValue),
                    eventID: InboundSupport.eventID(payload[member: "event_id"]?.stringValue),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
