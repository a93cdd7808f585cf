//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation

/// The pieces every inbound scheme is made of: header checks, timestamps, HMACs compared in constant time, hex and
/// base64, and turning a body into a payload.
enum InboundSupport {
    /// A refusal, as the first failure of a chain of checks.
    struct Refusal: Error {
        var refusal: InboundRefusal
        /// A request not shown to be genuine.
        init(_ reason: String) { refusal = .signature(reason) }
        /// A genuine request whose body cannot be forwarded.
        init(payload reason: String) { refusal = .payload(reason) }
        var reason: String { refusal.reason }
    }

    // MARK: Headers and settings

    /// The text without leading and trailing spaces and tabs.
    static func trim(_ text: some StringProtocol) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(text[first...last])
    }

    /// A header's value, or a "missing … header" refusal. Empty values count as missing.
    static func require(_ name: String, in request: InboundRequest) throws(Refusal) -> String {
        guard let value = request.header(name).map(trim), !value.isEmpty else {
            throw Refusal("missing \(name) header")
        }
        return value
    }

    /// The source's secrets, or a refusal when it has none.
    static func secrets(_ settings: InboundSourceSettings) throws(Refusal) -> [String] {
        let secrets = settings.secrets.filter { !$0.isEmpty }
        guard !secrets.isEmpty else { throw Refusal("the source has no secret") }
        return secrets
    }

    /// The tolerance that applies: the source's own, else the scheme's default.
    static func tolerance(_ settings: InboundSourceSettings, default value: Int) -> Int64 {
        Int64(max(0, settings.toleranceSeconds ?? value))
    }

    // MARK: Timestamps

    /// Parses a timestamp of whole Unix seconds; `what` names it in the refusal ("invalid …").
    static func unixSeconds(_ value: String, what: String) throws(Refusal) -> Int64 {
        guard let seconds = Int64(value) else { throw Refusal("invalid \(what)") }
        return seconds
    }

    /// Refuses a timestamp further than `tolerance` seconds from `now`, in the past or in the future.
    static func checkFreshness(_ seconds: Int64, now: Timestamp, tolerance: Int64) throws(Refusal) {
        let (difference, overflow) = now.unixSeconds.subtractingReportingOverflow(seconds)
        guard !overflow, difference.magnitude <= tolerance.magnitude else {
            throw Refusal("timestamp outside the tolerance of \(tolerance) s")
        }
    }

    // MARK: Signatures

    /// The hash functions HMAC schemes use.
    enum Algorithm: String {
        case sha1, sha256, sha512

        func isValid(_ mac: [UInt8], for content: [UInt8], key: [UInt8]) -> Bool {
            let key = SymmetricKey(data: key)
            switch self {
            case .sha1: return HMAC<Insecure.SHA1>.isValidAuthenticationCode(mac, authenticating: content, using: key)
            case .sha256: return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: key)
            case .sha512: return HMAC<SHA512>.isValidAuthenticationCode(mac, authenticating: content, using: key)
            }
        }

        func mac(for content: [UInt8], key: [UInt8]) -> [UInt8] {
            let key = SymmetricKey(data: key)
            switch self {
            case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: content, using: key))
            case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: content, using: key))
            case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: content, using: key))
            }
        }
    }

    /// Whether any candidate signature is the HMAC of the content under the key (each compared in constant time).
    static func anyValid(_ candidates: [[UInt8]], content: [UInt8], key: [UInt8], algorithm: Algorithm = .sha256)
        -> Bool
    {
        candidates.contains { algorithm.isValid($0, for: content, key: key) }
    }

    /// Whether two strings are equal, in time that depends on neither: their SHA-256 digests are compared.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        constantTimeEqual(Array(SHA256.hash(data: Array(a.utf8))), Array(SHA256.hash(data: Array(b.utf8))))
    }

    /// Whether two byte strings of the same public length are equal, without an early exit.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    // MARK: Encodings

    /// Lower-case hex.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case); `nil` unless every character is a hex digit and their count is even.
    static func unhex(_ text: some StringProtocol) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// Decodes standard base64 (padding optional).
    static func unbase64(_ text: some StringProtocol) -> [UInt8]? {
        var text = String(text)
        while text.utf8.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).map(Array.init)
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    // MARK: Bodies

    /// Whether the request says its body is `application/x-www-form-urlencoded`.
    static func isForm(_ request: InboundRequest) -> Bool {
        guard let type = request.header("Content-Type") else { return false }
        return trim(type).lowercased().hasPrefix("application/x-www-form-urlencoded")
    }

    /// Decodes `a=1&b=x+y%21` into its fields, in order: `+` is a space, `%XX` a byte, bad escapes stay as written.
    static func formFields(_ body: [UInt8]) -> [(name: String, value: String)] {
        func decode(_ part: ArraySlice<UInt8>) -> String {
            var out: [UInt8] = []
            out.reserveCapacity(part.count)
            var index = part.startIndex
            while index < part.endIndex {
                let byte = part[index]
                if byte == UInt8(ascii: "+") {
                    out.append(UInt8(ascii: " "))
                } else if byte == UInt8(ascii: "%"), index + 2 < part.endIndex,
                    let decoded = unhex(String(decoding: part[(index + 1)...(index + 2)], as: UTF8.self))
                {
                    out.append(decoded[0])
                    index += 3
                    continue
                } else {
                    out.append(byte)
                }
                index += 1
            }
            return String(decoding: out, as: UTF8.self)
        }
        return body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                return (decode(pair[pair.startIndex..<equals]), decode(pair[(equals + 1)...]))
            }
            return (decode(pair), "")
        }
    }

    /// Form fields as a JSON object: one field is a string, a repeated field an array of its strings.
    static func formObject(_ fields: [(name: String, value: String)]) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for (name, value) in fields {
            switch object[name] {
            case nil: object[name] = .string(value)
            case .array(var values)?:
                values.append(.string(value))
                object[name] = .array(values)
            case let existing?: object[name] = .array([existing, .string(value)])
            }
        }
        return .object(object)
    }

    /// Parses a body as JSON; `nil` unless it is an object or an array.
    static func json(_ body: [UInt8]) -> JSONValue? {
        guard let value = JSONValue.parse(bytes: body) else { return nil }
        switch value {
        case .object, .array: return value
        default: return nil
        }
    }

    /// The payload of a request: its fields when it is form-encoded, else its JSON (an object or an array).
    static func payload(_ request: InboundRequest) throws(Refusal) -> JSONValue {
        if isForm(request) { return formObject(formFields(request.body)) }
        guard let value = json(request.body) else { throw Refusal(payload: "body is not JSON") }
        return value
    }

    // MARK: Event types and ids

    /// A provider's event type in the uid alphabet: other characters become `.`, at most 256 characters, and
    /// `webhook` when nothing is left.
    static func eventType(_ raw: String?) -> String {
        guard let raw, !raw.isEmpty else { return "webhook" }
        var out = ""
        for scalar in raw.unicodeScalars.prefix(256) {
            if scalar.isASCII, Validation.idAlphabet.contains(UInt8(scalar.value)) {
                out.unicodeScalars.append(scalar)
            } else {
                out.append(".")
            }
        }
        return out
    }

    /// An event id, or `nil` when empty.
    static func eventID(_ raw: String?) -> String? {
        guard let raw = raw.map(trim), !raw.isEmpty else { return nil }
        return raw
    }
}

extension InboundEvent {
    /// The accepted event's payload as message JSON: a body that is a JSON object is forwarded as received (its
    /// bytes were verified and parsed as JSON); form fields, GitHub's form-wrapped JSON and query parameters are
    /// written as compact JSON, and anything but an object is wrapped as `{"payload": …}`.
    public func messagePayload(of request: InboundRequest) -> [UInt8] {
        let firstNonBlank = request.body.first { byte in
            byte != 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D
        }
        if payload.isObject, !InboundSupport.isForm(request), firstNonBlank == UInt8(ascii: "{") {
            return Array(request.body)
        }
        return (payload.isObject ? payload : .object(["payload": payload])).canonicalBytes()
    }
}

extension JSONValue {
    /// The member of an object, or `nil`.
    public subscript(member name: String) -> JSONValue? {
        if case .object(let object) = self { return object[name] }
        return nil
    }

    /// The value when it is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A scalar as text: strings as they are, numbers in decimal, booleans as `true`/`false`.
    public var scalarText: String? {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): value ? "true" : "false"
        default: nil
        }
    }

    /// The value an RFC 6901 JSON pointer names (`""` is the whole value, `/a/0/b~1c` walks in), or `nil`.
    func value(atPointer pointer: String) -> JSONValue? {
        guard !pointer.isEmpty else { return self }
        guard pointer.hasPrefix("/") else { return nil }
        var current = self
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(token), String(index) == token, array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

}

extension InboundSupport {
    /// The scheme Stripe and Paddle share: one header of `key=value` items holding a timestamp and one or more hex
    /// HMAC-SHA256 signatures of `"{timestamp}{glue}{body}"` under the secret string. Checks the header, the
    /// timestamp's freshness and the signatures, and returns the JSON payload.
    static func timestampedSignature(
        _ request: InboundRequest,
        settings: InboundSourceSettings,
        now: Timestamp,
        header name: String,
        itemSeparator: Character,
        timestampKey: String,
        signatureKey: String,
        glue: String,
        defaultTolerance: Int
    ) throws(Refusal) -> JSONValue {
        let secrets = try secrets(settings)
        let header = try require(name, in: request)
        var timestamp: String?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: itemSeparator) {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = trim(parts[0])
            let value = trim(parts[1])
            if key == timestampKey, timestamp == nil {
                timestamp = value
            } else if key == signatureKey, let mac = unhex(value) {
                signatures.append(mac)
            }
        }
        guard let timestamp else { throw Refusal("\(name) has no timestamp") }
        guard !signatures.isEmpty else { throw Refusal("\(name) has no \(signatureKey) signature") }
        let seconds = try unixSeconds(timestamp, what: "\(name) timestamp")
        try checkFreshness(seconds, now: now, tolerance: tolerance(settings, default: defaultTolerance))
        let content = Array("\(timestamp)\(glue)".utf8) + request.body
        guard secrets.contains(where: { anyValid(signatures, content: content, key: Array($0.utf8)) }) else {
            throw Refusal("no signature matches")
        }
        return try payload(request)
    }
}
