//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(app client secret, body)>`, no timestamp.
///
/// The event type is `X-Shopify-Topic` (`orders/create` → `orders.create`), the event id `X-Shopify-Webhook-Id`
/// (else `X-Shopify-Event-Id`).
public struct ShopifyInboundVerifier: InboundVerifier {
    public static let provider = "shopify"
    public static let defaultToleranceSeconds: Int? = nil

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("X-Shopify-Hmac-Sha256", in: request)
            guard let mac = InboundSupport.unbase64(header) else {
                throw InboundSupport.Refusal("malformed X-Shopify-Hmac-Sha256 header")
            }
            guard
                secrets.contains(where: { InboundSupport.anyValid([mac], content: request.body, key: Array($0.utf8)) })
            else { throw InboundSupport.Refusal("no signature matches") }
            let payload = try InboundSupport.payload(request)
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(request.header("X-Shopify-Topic")),
                    eventID: InboundSupport.eventID(
                        request.header("X-Shopify-Webhook-Id") ?? request.header("X-Shopify-Event-Id")
                    ),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }
}
