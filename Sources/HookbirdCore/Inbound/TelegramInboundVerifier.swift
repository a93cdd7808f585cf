//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Telegram Bot API: `X-Telegram-Bot-Api-Secret-Token` equal to the `secret_token` given to `setWebhook`
/// (compared in constant time), no signature and no timestamp.
///
/// The event type is `telegram.` and the kind of update, the body's member besides `update_id`
/// (`telegram.message`, `telegram.callback_query`); the event id is `update_id`.
public struct TelegramInboundVerifier: InboundVerifier {
    public static let provider = "telegram"
    public static let defaultToleranceSeconds: Int? = nil
    public static let secretHeaders = ["X-Telegram-Bot-Api-Secret-Token"]

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let token = try InboundSupport.require("X-Telegram-Bot-Api-Secret-Token", in: request)
            guard secrets.contains(where: { InboundSupport.constantTimeEqual($0, token) }) else {
                throw InboundSupport.Refusal("X-Telegram-Bot-Api-Secret-Token does not match")
            }
            let payload = try InboundSupport.payload(request)
            var kind = "update"
            if case .object(let object) = payload, let first = object.keys.filter({ $0 != "update_id" }).min() {
                kind = first
            }
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType("telegram." + kind),
                    eventID: InboundSupport.eventID(payload[member: "update_id"]?.scalarText),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
