//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// GitLab: `X-Gitlab-Token` equal to the secret (compared in constant time), no signature and no timestamp.
///
/// The event type is `X-Gitlab-Event` (`Push Hook` → `Push.Hook`), else the body's `object_kind`; the event id is
/// `X-Gitlab-Event-UUID`, else `Idempotency-Key`.
public struct GitLabInboundVerifier: InboundVerifier {
    public static let provider = "gitlab"
    public static let defaultToleranceSeconds: Int? = nil
    public static let secretHeaders = ["X-Gitlab-Token"]

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let token = try InboundSupport.require("X-Gitlab-Token", in: request)
            guard secrets.contains(where: { InboundSupport.constantTimeEqual($0, token) }) else {
                throw InboundSupport.Refusal("X-Gitlab-Token does not match")
            }
            let payload = try InboundSupport.payload(request)
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(
                        request.header("X-Gitlab-Event") ?? payload[member: "object_kind"]?.stringValue
                    ),
                    eventID: InboundSupport.eventID(
                        request.header("X-Gitlab-Event-UUID") ?? request.header("Idempotency-Key")
                    ),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
