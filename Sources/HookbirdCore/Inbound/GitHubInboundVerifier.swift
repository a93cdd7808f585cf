//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`, no timestamp.
///
/// The event type is `X-GitHub-Event`, followed by `.` and the body's `action` when it has one
/// (`pull_request.opened`; `ping` is an ordinary event). The event id is `X-GitHub-Delivery`. A hook set to
/// `application/x-www-form-urlencoded` sends the JSON in a `payload` field; that JSON becomes the payload.
public struct GitHubInboundVerifier: InboundVerifier {
    public static let provider = "github"
    public static let defaultToleranceSeconds: Int? = nil

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("X-Hub-Signature-256", in: request)
            guard header.hasPrefix("sha256="), let mac = InboundSupport.unhex(header.dropFirst("sha256=".count)) else {
                throw InboundSupport.Refusal("malformed X-Hub-Signature-256 header")
            }
            guard
                secrets.contains(where: { InboundSupport.anyValid([mac], content: request.body, key: Array($0.utf8)) })
            else { throw InboundSupport.Refusal("no signature matches") }
            var payload = try InboundSupport.payload(request)
            if InboundSupport.isForm(request), let text = payload[member: "payload"]?.stringValue,
                let json = InboundSupport.json(Array(text.utf8))
            {
                payload = json
            }
            var type = request.header("X-GitHub-Event") ?? "webhook"
            if let action = payload[member: "action"]?.stringValue, !action.isEmpty { type += "." + action }
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(type),
                    eventID: InboundSupport.eventID(request.header("X-GitHub-Delivery")),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
