//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation

/// An IPv4 or IPv6 address as 4 or 16 bytes.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
    public init?(_ text: String) {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        if let v4 = Self.parseV4(text) {
            bytes = v4
        } else if let v6 = Self.parseV6(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    public var isV4: Bool { bytes.count == 4 }

    /// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or IPv4-compatible (`::a.b.c.d`) IPv6 address.
    public var embeddedV4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }) else { return nil }
        if bytes[10] == 0xFF, bytes[11] == 0xFF { return IPAddress(bytes: Array(bytes[12..<16])) }
        // IPv4-compatible (`::a.b.c.d`, deprecated); `::` and `::1` and the rest of `::/104` are not IPv4.
        if bytes[10] == 0, bytes[11] == 0, bytes[12] != 0 {
            return IPAddress(bytes: Array(bytes[12..<16]))
        }
        return nil
    }

    public var description: String {
        if isV4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }

    static func parseV4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let value = UInt8(part) else { return nil }
            result.append(value)
        }
        return result
    }

    static func parseV6(_ text: String) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, item) in items.enumerated() {
                if index == items.count - 1, item.contains(".") {
                    guard let v4 = parseV4(String(item)) else { return nil }
                    out += v4
                } else {
                    guard !item.isEmpty, item.count <= 4, let value = UInt16(item, radix: 16) else { return nil }
                    out += [UInt8(value >> 8), UInt8(value & 0xFF)]
                }
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 16 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

/// A CIDR block such as `10.0.0.0/8` or `fe80::/10`.
public struct IPRange: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `address/length`; a bare address is a single-host range.
    public init?(_ text: String) {
        // Empty parts are kept: "" and "/8" are not ranges (splitting without them once crashed on "").
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty, let address = IPAddress(first) else { return nil }
        let maxLength = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maxLength).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = maxLength
        }
        network = address
    }

    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else {
            if let v4 = address.embeddedV4, network.isV4 { return contains(v4) }
            return false
        }
        var remaining = prefixLength
        for (a, b) in zip(address.bytes, network.bytes) {
            guard remaining > 0 else { return true }
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(network)/\(prefixLength)" }
}

/// Which destinations webhooks may be sent to: the SSRF guard.
///
/// Loopback, private, shared (CGNAT), link-local, unique-local, multicast, unspecified and broadcast addresses, also
/// in their IPv4-mapped IPv6 forms, are refused unless an `allow` range contains them.
public struct EgressPolicy: Sendable, Hashable {
    public static let blocked: [(IPRange, String)] = [
        ("0.0.0.0/8", "unspecified"), ("127.0.0.0/8", "loopback"), ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"), ("192.168.0.0/16", "private"), ("100.64.0.0/10", "shared (CGNAT)"),
        ("169.254.0.0/16", "link-local"), ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
        ("255.255.255.255/32", "broadcast"), ("::/128", "unspecified"), ("::1/128", "loopback"),
        ("fe80::/10", "link-local"), ("fc00::/7", "unique-local"), ("ff00::/8", "multicast"),
    ].map { (IPRange($0.0)!, $0.1) }

    public var allow: [IPRange]
    public var enabled: Bool

    public init(allow: [IPRange] = [], enabled: Bool = true) {
        self.allow = allow
        self.enabled = enabled
    }

    public static func == (lhs: EgressPolicy, rhs: EgressPolicy) -> Bool {
        lhs.allow == rhs.allow && lhs.enabled == rhs.enabled
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(allow)
        hasher.combine(enabled)
    }

    /// Why the address may not be contacted, or `nil` when it may.
    public func refusal(for address: IPAddress) -> String? {
        guard enabled else { return nil }
        if allow.contains(where: { $0.contains(address) }) { return nil }
        let embedded = address.embeddedV4
        if let embedded, allow.contains(where: { $0.contains(embedded) }) { return nil }
        for candidate in [address, embedded].compactMap({ $0 }) {
            for (range, kind) in Self.blocked where range.network.isV4 == candidate.isV4 && range.contains(candidate) {
                return "destination \(address) is \(kind.first.map { "aeiou".contains($0) } == true ? "an" : "a") \(kind) address; allow it with --egress-allow"
            }
        }
        return nil
    }
}
