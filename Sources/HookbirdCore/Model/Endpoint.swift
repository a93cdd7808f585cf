//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// A URL that receives an application's messages.
public struct Endpoint: Hashable, Sendable {
    /// A signing key that was rotated out and still signs until `expiresAt`.
    public struct RetiredSecret: Hashable, Sendable, Codable {
        public var secret: EndpointSecret
        public var expiresAt: Timestamp

        public init(secret: EndpointSecret, expiresAt: Timestamp) {
            self.secret = secret
            self.expiresAt = expiresAt
        }
    }

    public var id: EndpointID
    public var appID: ApplicationID
    public var orgID: OrganizationID
    public var uid: String?
    public var url: String {
        didSet { kind = EndpointKind(url: url) }
    }
    /// How it is reached, told from ``url`` (kept in step with it).
    public private(set) var kind: EndpointKind
    public var description: String
    public var disabled: Bool
    /// Event types the endpoint receives; `nil` means all.
    public var eventTypes: [String]?
    /// Channels the endpoint receives; `nil` means all.
    public var channels: [String]?
    public var throttleRate: Int?
    /// Requests in flight to this endpoint at most, from one node's delivery engine; `nil`: the server's default
    /// (`--endpoint-max-in-flight`, see ``InFlightLimit``).
    public var maxInFlight: Int?
    public var metadata: [String: String]
    public var secret: EndpointSecret
    public var retiredSecrets: [RetiredSecret]
    /// Custom headers sent with every delivery, in the case the user gave.
    public var headers: [String: String]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: EndpointID,
        appID: ApplicationID,
        orgID: OrganizationID,
        uid: String?,
        url: String,
        description: String,
        disabled: Bool,
        eventTypes: [String]?,
        channels: [String]?,
        throttleRate: Int?,
        metadata: [String: String],
        secret: EndpointSecret,
        retiredSecrets: [RetiredSecret] = [],
        headers: [String: String] = [:],
        maxInFlight: Int? = nil,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.appID = appID
        self.orgID = orgID
        self.uid = uid
        self.url = url
        self.kind = EndpointKind(url: url)
        self.description = description
        self.disabled = disabled
        self.eventTypes = eventTypes
        self.channels = channels
        self.throttleRate = throttleRate
        self.metadata = metadata
        self.secret = secret
        self.retiredSecrets = retiredSecrets
        self.headers = headers
        self.maxInFlight = maxInFlight
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether a message with this event type and these channels is delivered to the endpoint: it is enabled and
    /// its filters let the message through (``matches(eventTypeFilter:channelFilter:eventType:channels:)``).
    public func accepts(eventType: String, channels messageChannels: [String]?) -> Bool {
        !disabled
            && Self.matches(
                eventTypeFilter: eventTypes,
                channelFilter: channels,
                eventType: eventType,
                channels: messageChannels
            )
    }

    /// Svix's fan-out rule: the event-type filter is absent or names the type, and the channel filter is absent or
    /// shares a channel with the message (a message without channels never matches a channel filter).
    public static func matches(
        eventTypeFilter: [String]?,
        channelFilter: [String]?,
        eventType: String,
        channels: [String]?
    ) -> Bool {
        if let eventTypeFilter, !eventTypeFilter.contains(eventType) { return false }
        if let channelFilter {
            guard let channels, channels.contains(where: channelFilter.contains) else { return false }
        }
        return true
    }

    /// The secrets that sign a delivery at `now`: the current one first, then the retired ones still in grace.
    public func signingSecrets(at now: Timestamp) -> [EndpointSecret] {
        [secret] + retiredSecrets.filter { $0.expiresAt > now }.map(\.secret)
    }
}

extension Endpoint {
    /// Header names whose values are secrets: shown by name only, never with their value (the API's
    /// `EndpointHeadersOut`, the dashboard).
    public static let sensitiveHeaders: Set<String> = [
        "x-auth-token", "x-api-key", "www-authenticate", "authorization", "proxy-authenticate", "proxy-authorization",
    ]

    /// The custom headers as they may be shown: those that may be shown with their values, and the names of the
    /// sensitive ones, sorted.
    public var shownHeaders: (headers: [String: String], sensitive: [String]) {
        (
            headers.filter { !Self.sensitiveHeaders.contains($0.key.lowercased()) },
            headers.keys.filter { Self.sensitiveHeaders.contains($0.lowercased()) }.sorted()
        )
    }
}
