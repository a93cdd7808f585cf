//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:{ts}:{body}")>` with
/// `X-Slack-Request-Timestamp`; default tolerance 300 s, as Slack advises.
///
/// - Events API (JSON): `url_verification` is a handshake answered with `{"challenge": …}`; `event_callback` gives
///   the event type `event.type` (`app_mention`) and the id `event_id`; other types use the body's `type`.
/// - Slash commands and interactivity (form-encoded): the payload is the object of fields (a `payload` field stays a
///   string), the event type the `command` field (`/deploy` → `.deploy`) or `slack.form`, and there is no id.
public struct SlackInboundVerifier: InboundVerifier {
    public static let provider = "slack"
    public static let defaultToleranceSeconds: Int? = 300

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("X-Slack-Signature", in: request)
            let timestamp = try InboundSupport.require("X-Slack-Request-Timestamp", in: request)
            let seconds = try InboundSupport.unixSeconds(timestamp, what: "X-Slack-Request-Timestamp header")
            try InboundSupport.checkFreshness(
                seconds,
                now: now,
                tolerance: InboundSupport.tolerance(settings, default: Self.defaultToleranceSeconds!)
            )
            guard header.hasPrefix("v0="), let mac = InboundSupport.unhex(header.dropFirst(3)) else {
                throw InboundSupport.Refusal("malformed X-Slack-Signature header")
            }
            let content = Array("v0:\(timestamp):".utf8) + request.body
            guard secrets.contains(where: { InboundSupport.anyValid([mac], content: content, key: Array($0.utf8)) })
            else { throw InboundSupport.Refusal("no signature matches") }
            let payload = try InboundSupport.payload(request)
            if InboundSupport.isForm(request) {
                return .accepted(
                    InboundEvent(
                        eventType: InboundSupport.eventType(payload[member: "command"]?.stringValue ?? "slack.form"),
                        eventID: nil,
                        payload: payload
                    )
                )
            }
            let type = payload[member: "type"]?.stringValue
            switch type {
            case "url_verification":
                return .handshake(.object(["challenge": payload[member: "challenge"] ?? .string("")]))
            case "event_callback":
                return .accepted(
                    InboundEvent(
                        eventType: InboundSupport.eventType(payload[member: "event"]?[member: "type"]?.stringValue),
                        eventID: InboundSupport.eventID(payload[member: "event_id"]?.stringValue),
                        payload: payload
                    )
                )
            default:
                return .accepted(
                    InboundEvent(
                        eventType: InboundSupport.eventType(type),
                        eventID: InboundSupport.eventID(payload[member: "event_id"]?.stringValue),
                        payload: payload
                    )
                )
            }
        } catch {
            return .refused(error.refusal)
        }
    }
}
