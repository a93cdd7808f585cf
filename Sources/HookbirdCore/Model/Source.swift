//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Identifies an inbound source: `src_…`.
public struct SourceID: PrefixedID {
    public static let prefix = "src_"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a stored inbound request: `req_…`.
public struct InboundRequestID: PrefixedID {
    public static let prefix = "req_"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// A provider that sends webhooks to Hookbird (`/webhook/{source}`), and the application its events go to.
public struct Source: Hashable, Sendable {
    public var id: SourceID
    public var orgID: OrganizationID
    public var appID: ApplicationID
    public var uid: String?
    public var name: String
    /// How requests are verified: provider, secrets, tolerance, options.
    public var settings: InboundSourceSettings
    /// Remote addresses allowed to send; empty = any.
    public var allowedIPs: [String]
    /// Largest accepted body in bytes.
    public var maxBody: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: SourceID,
        orgID: OrganizationID,
        appID: ApplicationID,
        uid: String?,
        name: String,
        settings: InboundSourceSettings,
        allowedIPs: [String],
        maxBody: Int,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.orgID = orgID
        self.appID = appID
        self.uid = uid
        self.name = name
        self.settings = settings
        self.allowedIPs = allowedIPs
        self.maxBody = maxBody
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What became of an inbound request.
public enum InboundOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// Genuine and forwarded as a message.
    case accepted
    /// Genuine, but its event id was seen before: answered 2xx, not forwarded again.
    case duplicate
    /// A provider handshake, answered and not forwarded.
    case handshake
    /// Refused (bad or missing signature, stale timestamp, address not allowed).
    case refused
}

/// A request received at `/webhook/{source}`, kept as it came (refused ones too).
public struct StoredInboundRequest: Hashable, Sendable {
    public var id: InboundRequestID
    public var sourceID: SourceID
    public var orgID: OrganizationID
    public var method: String
    public var path: String
    public var query: String?
    public var headers: [[String]]
    public var body: [UInt8]
    public var remoteAddress: String?
    public var receivedAt: Timestamp
    public var outcome: InboundOutcome
    /// Why it was refused, or what it was.
    public var reason: String?
    public var eventID: String?
    public var messageID: MessageID?

    public init(
        id: InboundRequestID,
        sourceID: SourceID,
        orgID: OrganizationID,
        method: String,
        path: String,
        query: String?,
        headers: [[String]],
        body: [UInt8],
        remoteAddress: String?,
        receivedAt: Timestamp,
        outcome: InboundOutcome,
        reason: String?,
        eventID: String?,
        messageID: MessageID?
    ) {
        self.id = id
        self.sourceID = sourceID
        self.orgID = orgID
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.receivedAt = receivedAt
        self.outcome = outcome
        self.reason = reason
        self.eventID = eventID
        self.messageID = messageID
    }
}

extension Source {
    /// Where the provider sends this source's webhooks: `{publicURL}/webhook/{uid or id}`.
    public func ingestURL(publicURL: String) -> String {
        publicURL + "/webhook/" + (uid ?? id.rawValue)
    }
}
