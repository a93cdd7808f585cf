//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto

/// Twilio: `X-Twilio-Signature` is the base64 HMAC-SHA1, under the account's auth token, of the full URL Twilio
/// called followed by every POST parameter as name then value, sorted by name. No timestamp.
///
/// - Form-encoded bodies: the parameters are the body's fields; the payload is their object.
/// - Other bodies (JSON): the URL carries `bodySHA256=<hex SHA-256 of the body>`, which must match, and only the
///   URL is signed; the payload is the JSON.
/// - Empty bodies (GET callbacks): only the URL is signed; the payload is the object of the query's fields.
///
/// As Twilio's libraries do, the URL is also tried without its port and with the scheme's default port. The event
/// type is `twilio.` and the lowercased `MessageStatus`, `SmsStatus` or `CallStatus` (else `twilio.webhook`). The
/// event id is the `I-Twilio-Idempotency-Token` header; without it, the `MessageSid`, `CallSid` or `SmsSid` followed
/// by `.` and the status, because Twilio sends one callback per status of the same message or call.
public struct TwilioInboundVerifier: InboundVerifier {
    public static let provider = "twilio"
    public static let defaultToleranceSeconds: Int? = nil

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let secrets = try InboundSupport.secrets(settings)
            let header = try InboundSupport.require("X-Twilio-Signature", in: request)
            guard let mac = InboundSupport.unbase64(header) else {
                throw InboundSupport.Refusal("malformed X-Twilio-Signature header")
            }
            let payload: JSONValue
            var signedParameters: [UInt8] = []
            var bodyHash: String?
            if InboundSupport.isForm(request) {
                let fields = InboundSupport.formFields(request.body)
                signedParameters = Self.concatenatedParameters(fields)
                payload = InboundSupport.formObject(fields)
            } else if request.body.isEmpty {
                payload = InboundSupport.formObject(InboundSupport.formFields(Array(Self.query(of: request.url).utf8)))
            } else {
                let query = InboundSupport.formFields(Array(Self.query(of: request.url).utf8))
                guard let hash = query.first(where: { $0.name == "bodySHA256" })?.value else {
                    throw InboundSupport.Refusal("missing bodySHA256 query parameter")
                }
                bodyHash = hash
                payload = try InboundSupport.payload(request)
            }
            let urls = Self.urlVariants(request.url)
            let matches = secrets.contains { secret in
                urls.contains { url in
                    InboundSupport.anyValid(
                        [mac],
                        content: Array(url.utf8) + signedParameters,
                        key: Array(secret.utf8),
                        algorithm: .sha1
                    )
                }
            }
            guard matches else { throw InboundSupport.Refusal("no signature matches") }
            if let bodyHash {
                let actual = InboundSupport.hex(SHA256.hash(data: request.body))
                guard InboundSupport.constantTimeEqual(Array(actual.utf8), Array(bodyHash.lowercased().utf8)) else {
                    throw InboundSupport.Refusal("body does not match bodySHA256")
                }
            }
            let status = ["MessageStatus", "SmsStatus", "CallStatus"].lazy
                .compactMap { payload[member: $0]?.stringValue }.first { !$0.isEmpty }?.lowercased()
            let sid = ["MessageSid", "CallSid", "SmsSid"].lazy
                .compactMap { payload[member: $0]?.stringValue }.first { !$0.isEmpty }
            let id =
                InboundSupport.eventID(request.header("I-Twilio-Idempotency-Token"))
                ?? sid.map { sid in status.map { "\(sid).\($0)" } ?? sid }
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType("twilio." + (status ?? "webhook")),
                    eventID: id,
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }

    /// The parameters as Twilio signs them: sorted by name (then value), each name followed by its value.
    static func concatenatedParameters(_ fields: [(name: String, value: String)]) -> [UInt8] {
        let sorted = fields.sorted { lhs, rhs in
            lhs.name.utf8.elementsEqual(rhs.name.utf8)
                ? lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
                : lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
        }
        var out: [UInt8] = []
        for field in sorted {
            out += field.name.utf8
            out += field.value.utf8
        }
        return out
    }

    /// The query of a URL (after `?`, before `#`), or empty.
    static func query(of url: String) -> String {
        guard let mark = url.firstIndex(of: "?") else { return "" }
        let rest = url[url.index(after: mark)...]
        return String(rest.prefix { $0 != "#" })
    }

    /// The URL as given, then without its explicit port or with the scheme's default port added.
    static func urlVariants(_ url: String) -> [String] {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { return [url] }
        let scheme = url[..<colon].lowercased()
        let authorityStart = url.index(colon, offsetBy: 3)
        let authorityEnd = url[authorityStart...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? url.endIndex
        let authority = url[authorityStart..<authorityEnd]
        let hostEnd = authority.lastIndex(of: "]") ?? authority.startIndex
        let head = url[..<authorityStart]
        let tail = url[authorityEnd...]
        if let colon = authority[hostEnd...].lastIndex(of: ":"),
            authority[authority.index(after: colon)...].allSatisfy(\.isNumber)
        {
            return [url, String(head) + authority[..<colon] + tail]
        }
        let port = scheme == "https" ? "443" : scheme == "http" ? "80" : nil
        guard let port else { return [url] }
        return [url, String(head) + authority + ":" + port + tail]
    }
}
