//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// A request a provider sent to `/webhook/{source}`, as received: the raw bytes are what is verified.
public struct InboundRequest: Sendable {
    public var method: String
    /// The URL as the provider called it (scheme, host, port, path and query), for schemes that sign it (Twilio).
    public var url: String
    /// Headers in order, names as received.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { Self.equalIgnoringASCIICase($0.name, name) }?.value
    }

    /// Whether two header names are equal but for ASCII letter case (header names are ASCII tokens).
    static func equalIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8) { x, y in
            x == y || (x ^ y == 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
        }
    }
}

/// How a source checks its requests: the provider's scheme, its secrets (several while rotating) and options.
public struct InboundSourceSettings: Sendable, Hashable, Codable {
    /// `stripe`, `github`, `slack`, `shopify`, `standard-webhooks`, `svix`, `gitlab`, `twilio`, `discord`,
    /// `telegram`, `linear`, `paddle`, `zoom` or `hmac`.
    public var provider: String
    /// Every active secret; a request is genuine when any of them verifies it.
    public var secrets: [String]
    /// The largest accepted difference between the request's timestamp and now; `nil` = the provider's default.
    public var toleranceSeconds: Int?
    /// Provider options, e.g. for `hmac`: `header`, `algorithm` (sha1/sha256/sha512), `encoding` (hex/base64),
    /// `prefix`, `timestampHeader`, `template` (signed content, with `{timestamp}` and `{body}`),
    /// `eventTypeHeader`, `eventTypePointer`, `eventIdHeader`, `eventIdPointer`.
    public var options: [String: String]

    public init(provider: String, secrets: [String], toleranceSeconds: Int? = nil, options: [String: String] = [:]) {
        self.provider = provider
        self.secrets = secrets
        self.toleranceSeconds = toleranceSeconds
        self.options = options
    }
}

/// What a genuine request carries, in Hookbird's terms.
public struct InboundEvent: Sendable, Hashable {
    /// The message event type: the provider's type with characters outside `[a-zA-Z0-9\-_.]` mapped to `.`
    /// (Shopify `orders/create` → `orders.create`).
    public var eventType: String
    /// The provider's id of the event, used to drop duplicates; `nil` when the provider sends none.
    public var eventID: String?
    /// The payload as JSON: the body itself, or for form-encoded bodies an object of their fields.
    public var payload: JSONValue

    public init(eventType: String, eventID: String?, payload: JSONValue) {
        self.eventType = eventType
        self.eventID = eventID
        self.payload = payload
    }
}

/// The verdict on one request.
public enum InboundVerdict: Sendable, Hashable {
    /// Genuine: forward it.
    case accepted(InboundEvent)
    /// A handshake the provider expects answered with this JSON (Slack `url_verification`, Discord PING, Zoom
    /// `endpoint.url_validation`); it is genuine but not forwarded.
    case handshake(JSONValue)
    /// Refused: why (see ``InboundRefusal``).
    case refused(InboundRefusal)
}

/// Why a provider's request was refused.
public struct InboundRefusal: Sendable, Hashable, CustomStringConvertible {
    /// What was wrong with the request.
    public enum Kind: Sendable, Hashable {
        /// It is not shown to be genuine (answered 401): "missing Stripe-Signature header", "timestamp outside the
        /// tolerance", "no signature matches".
        case signature
        /// It is genuinely signed but carries nothing Hookbird can forward (answered 400): "body is not JSON".
        case payload
    }

    public let kind: Kind
    /// What a person reads, stored with the request.
    public let reason: String

    /// A request not shown to be genuine.
    public static func signature(_ reason: String) -> Self { Self(kind: .signature, reason: reason) }

    /// A genuine request whose body cannot be forwarded.
    public static func payload(_ reason: String) -> Self { Self(kind: .payload, reason: reason) }

    public var description: String { reason }
}

/// Checks requests for one provider's scheme. Every comparison of secrets or signatures is constant-time.
public protocol InboundVerifier: Sendable {
    /// The provider name, as in ``InboundSourceSettings/provider``.
    static var provider: String { get }
    /// The default timestamp tolerance in seconds, or `nil` for schemes without a timestamp.
    static var defaultToleranceSeconds: Int? { get }
    /// Headers whose value is the source's secret itself (a shared token, not a signature made with it): they are
    /// never stored as received (see ``InboundVerifiers/storedHeaders(_:provider:)``).
    static var secretHeaders: [String] { get }
    /// Judges a request.
    /// - Parameters:
    ///   - request: The request as received.
    ///   - settings: The source's secrets and options.
    ///   - now: The time to check timestamps against.
    func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict
}

extension InboundVerifier {
    public static var secretHeaders: [String] { [] }
}

/// The verifiers by provider name.
public enum InboundVerifiers {
    /// Every supported provider.
    public static let all: [String: any InboundVerifier] = {
        let verifiers: [any InboundVerifier] = [
            StripeInboundVerifier(),
            GitHubInboundVerifier(),
            SlackInboundVerifier(),
            ShopifyInboundVerifier(),
            StandardWebhooksInboundVerifier(),
            SvixInboundVerifier(),
            GitLabInboundVerifier(),
            TwilioInboundVerifier(),
            DiscordInboundVerifier(),
            TelegramInboundVerifier(),
            LinearInboundVerifier(),
            PaddleInboundVerifier(),
            ZoomInboundVerifier(),
            HMACInboundVerifier(),
        ]
        return Dictionary(uniqueKeysWithValues: verifiers.map { (type(of: $0).provider, $0) })
    }()

    /// The verifier for a provider; unknown providers have none (and a source cannot be created with one).
    public static func verifier(for provider: String) -> (any InboundVerifier)? { all[provider] }

    /// Credentials any request may carry; never stored as received.
    static let credentialHeaders = ["Authorization", "Proxy-Authorization", "Cookie"]

    /// What is stored instead of a secret header's value.
    public static let redacted = "[redacted]"

    /// A request's headers as they are stored with it, `[name, value]` in order: the values of credentials and of
    /// the provider's secret headers (GitLab's and Telegram's tokens) replaced by ``redacted``, so that the stored
    /// requests, which the API and dashboard show, do not hand out the source's secret.
    public static func storedHeaders(_ headers: [(name: String, value: String)], provider: String) -> [[String]] {
        let secret = credentialHeaders + (all[provider].map { type(of: $0).secretHeaders } ?? [])
        return headers.map { header in
            let hidden = secret.contains { InboundRequest.equalIgnoringASCIICase($0, header.name) }
            return [header.name, hidden ? redacted : header.value]
        }
    }

    /// A provider's event type as a Hookbird event type name: characters outside `[a-zA-Z0-9\-_.]` become `.`
    /// (`orders/create` → `orders.create`, `Push Hook` → `Push.Hook`), cut to 256 characters, `webhook` when empty.
    /// - Parameter raw: The provider's event type, if any.
    /// - Returns: A valid event type name.
    public static func eventType(from raw: String?) -> String { InboundSupport.eventType(raw) }
}
