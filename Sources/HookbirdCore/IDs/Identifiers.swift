//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// An identifier made of a type prefix and a KSUID, such as `app_2a3…`.
public protocol PrefixedID: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible, Comparable
where RawValue == String {
    /// The prefix every id of this type starts with, e.g. `"app_"`.
    static var prefix: String { get }
    init(unchecked rawValue: String)
}

extension PrefixedID {
    /// Parses an id, checking its prefix and KSUID part.
    public init?(rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.init(unchecked: rawValue)
    }

    /// A new id for the given time.
    public static func generate(at date: Timestamp = .now) -> Self {
        Self(unchecked: prefix + KSUID.generate(at: date))
    }

    /// The smallest (or largest) id that a moment can have; used to bound time windows.
    public static func boundary(at date: Timestamp, upper: Bool) -> Self {
        Self(unchecked: prefix + KSUID.boundary(at: date, upper: upper))
    }

    /// Whether the string has this type's prefix followed by a 27-character KSUID.
    public static func isValid(_ string: String) -> Bool {
        string.hasPrefix(prefix) && KSUID.decode(string.dropFirst(prefix.count)) != nil
    }

    /// The time encoded in the id.
    public var timestamp: Timestamp? { KSUID.timestamp(of: rawValue.dropFirst(Self.prefix.count)) }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(unchecked: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Identifies an application (a tenant's customer): `app_…`.
public struct ApplicationID: PrefixedID {
    public static let prefix = "app_"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies an endpoint: `ep_…`.
public struct EndpointID: PrefixedID {
    public static let prefix = "ep_"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a message: `msg_…`. Sent as `webhook-id`, the same on every retry.
public struct MessageID: PrefixedID {
    public static let prefix = "msg_"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies one delivery attempt: `atmpt_…`.
public struct AttemptID: PrefixedID {
    public static let prefix = "atmpt_"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a background task such as a recovery: `qtask_…`.
public struct TaskID: PrefixedID {
    public static let prefix = "qtask_"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies an organisation (the owner of applications and event types). Only the `org_` prefix is checked,
/// as svix-server does, so existing svix-server tokens keep working.
public struct OrganizationID: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public static let prefix = "org_"
    /// The organisation an admin token and a generated token act for: svix-server's default organisation.
    public static let `default` = OrganizationID(rawValue: "org_23rb8YdGqMT0qIzpgGwdXfHirMu")!
    public let rawValue: String

    public init?(rawValue: String) {
        guard rawValue.hasPrefix(Self.prefix), rawValue.count > Self.prefix.count, rawValue.count <= 256 else {
            return nil
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}
