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
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("Paddle-Signature", in: request)
            var timestamp: String?
            var signatures: [[UInt8]] = []
            for item in header.split(separator: ";") {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let key = InboundSupport.trim(parts[0])
                let value = InboundSupport.trim(parts[1])
                if key == "ts", timestamp == nil {
                    timestamp = value
                } else if key == "h1", let mac = InboundSupport.unhex(value) {
                    signatures.append(mac)
                }
            }
            guard let timestamp else { throw InboundSupport.Refusal("Paddle-Signature has no timestamp") }
            guard !signatures.isEmpty else { throw InboundSupport.Refusal("Paddle-Signature has no h1 signature") }
            let seconds = try InboundSupport.unixSeconds(timestamp, what: "Paddle-Signature timestamp")
            try InboundSupport.checkFreshness(
                seconds,
                now: now,
                tolerance: InboundSupport.tolerance(settings, default: Self.defaultToleranceSeconds!)
            )
            let content = Array("\(timestamp):".utf8) + request.body
            guard
                secrets.contains(where: { InboundSupport.anyValid(signatures, content: content, key: Array($0.utf8)) })
            else { throw InboundSupport.Refusal("no signature matches") }
            let payload = try InboundSupport.payload(request)
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(payload[member: "event_type"]?.stringValue),
                    eventID: InboundSupport.eventID(payload[member: "event_id"]?.stringValue),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.reason)
        }
    }
}
