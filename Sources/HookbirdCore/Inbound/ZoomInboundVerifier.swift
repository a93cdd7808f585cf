//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Zoom: `x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:{ts}:{body}")>` with `x-zm-request-timestamp`;
/// default tolerance 300 s.
///
/// The `endpoint.url_validation` request is verified like any other, then answered with
/// `{"plainToken": p, "encryptedToken": hex HMAC-SHA256(secret token, p)}` under the secret that verified it. Other
/// events take their type from the body's `event` (`meeting.started`) and carry no id.
public struct ZoomInboundVerifier: InboundVerifier {
    public static let provider = "zoom"
    public static let defaultToleranceSeconds: Int? = 300

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("x-zm-signature", in: request)
            let timestamp = try InboundSupport.require("x-zm-request-timestamp", in: request)
            let seconds = try InboundSupport.unixSeconds(timestamp, what: "x-zm-request-timestamp header")
            try InboundSupport.checkFreshness(
                seconds,
                now: now,
                tolerance: InboundSupport.tolerance(settings, default: Self.defaultToleranceSeconds!)
            )
            guard header.hasPrefix("v0="), let mac = InboundSupport.unhex(header.dropFirst(3)) else {
                throw InboundSupport.Refusal("malformed x-zm-signature header")
            }
            let content = Array("v0:\(timestamp):".utf8) + request.body
            guard
                let secret = secrets.first(where: {
                    InboundSupport.anyValid([mac], content: content, key: Array($0.utf8))
                })
            else { throw InboundSupport.Refusal("no signature matches") }
            let payload = try InboundSupport.payload(request)
            let event = payload[member: "event"]?.stringValue
            if event == "endpoint.url_validation" {
                guard let plainToken = payload[member: "payload"]?[member: "plainToken"]?.stringValue else {
                    throw InboundSupport.Refusal("url_validation has no plainToken")
                }
                let encrypted = InboundSupport.Algorithm.sha256.mac(
                    for: Array(plainToken.utf8),
                    key: Array(secret.utf8)
                )
                return .handshake(
                    .object([
                        "plainToken": .string(plainToken),
                        "encryptedToken": .string(InboundSupport.hex(encrypted)),
                    ])
                )
            }
            return .accepted(InboundEvent(eventType: InboundSupport.eventType(event), eventID: nil, payload: payload))
        } catch {
            return .refused(error.refusal)
        }
    }
}
