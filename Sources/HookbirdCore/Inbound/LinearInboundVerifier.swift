//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Linear: `Linear-Signature: <hex HMAC-SHA256(secret, body)>`; the timestamp is the signed body's
/// `webhookTimestamp` (Unix milliseconds), checked against a default tolerance of 60 s as Linear advises.
///
/// The event type is `Linear-Event` (else the body's `type`) followed by `.` and the body's `action`
/// (`Issue.create`); the event id is `Linear-Delivery`.
public struct LinearInboundVerifier: InboundVerifier {
    public static let provider = "linear"
    public static let defaultToleranceSeconds: Int? = 60

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("Linear-Signature", in: request)
            guard let mac = InboundSupport.unhex(header) else {
                throw InboundSupport.Refusal("malformed Linear-Signature header")
            }
            guard
                secrets.contains(where: { InboundSupport.anyValid([mac], content: request.body, key: Array($0.utf8)) })
            else { throw InboundSupport.Refusal("no signature matches") }
            let payload = try InboundSupport.payload(request)
            let milliseconds: Int64
            switch payload[member: "webhookTimestamp"] {
            case .int(let value)?: milliseconds = value
            case .double(let value)? where value.isFinite && value.magnitude < 1e17: milliseconds = Int64(value)
            case .string(let text)? where Int64(text) != nil: milliseconds = Int64(text)!
            default: throw InboundSupport.Refusal("body has no webhookTimestamp")
            }
            let tolerance = InboundSupport.tolerance(settings, default: Self.defaultToleranceSeconds!)
            let (difference, overflow) = (now.microseconds / 1000).subtractingReportingOverflow(milliseconds)
            guard !overflow, difference.magnitude <= UInt64(tolerance) * 1000 else {
                throw InboundSupport.Refusal("timestamp outside the tolerance of \(tolerance) s")
            }
            var type = request.header("Linear-Event") ?? payload[member: "type"]?.stringValue ?? "linear"
            if let action = payload[member: "action"]?.stringValue, !action.isEmpty { type += "." + action }
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(type),
                    eventID: InboundSupport.eventID(request.header("Linear-Delivery")),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
