//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
public import HookbirdCore
import HookbirdStorage

/// `EndpointIn` (POST) and `EndpointUpdate` (PUT, where `secret` is ignored).
struct EndpointIn: Decodable, Sendable {
    var url: String
    var description: String
    var uid: String?
    var throttleRate: Int?
    /// Hookbird's extension: requests in flight to the endpoint at most, per node (`nil`: the server's).
    var maxInFlight: Int?
    var disabled: Bool
    var eventTypes: [String]?
    var channels: [String]?
    var secret: String?
    var metadata: [String: String]
    var headers: [String: String]?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        url = try container.decode(String.self, forKey: AnyKey("url"))
        description = try container.decodeUnlessAbsent(String.self, forKey: AnyKey("description")) ?? ""
        uid = try container.decodeIfPresent(String.self, forKey: AnyKey("uid"))
        throttleRate =
            try container.decodeIfPresent(Int.self, forKey: AnyKey("throttleRate"))
            ?? container.decodeIfPresent(Int.self, forKey: AnyKey("rateLimit"))
        maxInFlight = try container.decodeIfPresent(Int.self, forKey: AnyKey("maxInFlight"))
        disabled = try container.decodeUnlessAbsent(Bool.self, forKey: AnyKey("disabled")) ?? false
        eventTypes =
            try container.decodeIfPresent([String].self, forKey: AnyKey("eventTypes"))
            ?? container.decodeIfPresent([String].self, forKey: AnyKey("filterTypes"))
        channels = try container.decodeIfPresent([String].self, forKey: AnyKey("channels"))
        secret = try container.decodeIfPresent(String.self, forKey: AnyKey("secret"))
        metadata = try container.decodeIfPresent([String: String].self, forKey: AnyKey("metadata")) ?? [:]
        headers = try container.decodeIfPresent([String: String].self, forKey: AnyKey("headers"))
    }

    func validate(https: Bool) throws(FieldError) {
        try EndpointValidation.url(url, httpsOnly: https)
        try Validation.text(description, field: ["body", "description"])
        if let uid { try Validation.identifier(uid, field: ["body", "uid"], forbiddenPrefix: EndpointID.prefix) }
        try Validation.throttleRate(throttleRate, field: ["body", "throttleRate"])
        try Validation.maxInFlight(maxInFlight, field: ["body", "maxInFlight"])
        try EndpointValidation.eventTypes(eventTypes)
        try EndpointValidation.channels(channels)
        try Validation.metadata(metadata, field: ["body", "metadata"])
        if let headers { try EndpointValidation.headers(headers, field: ["body", "headers"]) }
    }
}

/// `EndpointPatch`.
struct EndpointPatch: Decodable, Sendable {
    var url: Patch<String>
    var description: Patch<String>
    var disabled: Patch<Bool>
    var uid: Patch<String>
    var throttleRate: Patch<Int>
    var maxInFlight: Patch<Int>
    var eventTypes: Patch<[String]>
    var channels: Patch<[String]>
    var metadata: Patch<[String: String]>

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        url = try container.patch(String.self, forKey: AnyKey("url"))
        description = try container.nonNullPatch(String.self, forKey: AnyKey("description"))
        disabled = try container.nonNullPatch(Bool.self, forKey: AnyKey("disabled"))
        uid = try container.patch(String.self, forKey: AnyKey("uid"))
        throttleRate = try container.patch(Int.self, forKey: AnyKey("throttleRate"))
        if case .absent = throttleRate { throttleRate = try container.patch(Int.self, forKey: AnyKey("rateLimit")) }
        maxInFlight = try container.patch(Int.self, forKey: AnyKey("maxInFlight"))
        eventTypes = try container.patch([String].self, forKey: AnyKey("eventTypes"))
        if case .absent = eventTypes { eventTypes = try container.patch([String].self, forKey: AnyKey("filterTypes")) }
        channels = try container.patch([String].self, forKey: AnyKey("channels"))
        metadata = try container.patch([String: String].self, forKey: AnyKey("metadata"))
    }

    func apply(to endpoint: inout Endpoint, httpsOnly: Bool) throws(FieldError) {
        switch url {
        case .absent: break
        case .null: throw FieldError(loc: ["body", "url"], msg: "url must not be null", type: "type_error")
        case .value(let url):
            try EndpointValidation.url(url, httpsOnly: httpsOnly)
            endpoint.url = url
        }
        if case .value(let description) = description {
            try Validation.text(description, field: ["body", "description"])
            endpoint.description = description
        }
        if case .value(let disabled) = disabled { endpoint.disabled = disabled }
        endpoint.uid = uid.applied(to: endpoint.uid)
        if let uid = endpoint.uid {
            try Validation.identifier(uid, field: ["body", "uid"], forbiddenPrefix: EndpointID.prefix)
        }
        endpoint.throttleRate = throttleRate.applied(to: endpoint.throttleRate)
        try Validation.throttleRate(endpoint.throttleRate, field: ["body", "throttleRate"])
        endpoint.maxInFlight = maxInFlight.applied(to: endpoint.maxInFlight)
        try Validation.maxInFlight(endpoint.maxInFlight, field: ["body", "maxInFlight"])
        endpoint.eventTypes = eventTypes.applied(to: endpoint.eventTypes)
        try EndpointValidation.eventTypes(endpoint.eventTypes)
        endpoint.channels = channels.applied(to: endpoint.channels)
        try EndpointValidation.channels(endpoint.channels)
        endpoint.metadata = metadata.applied(to: endpoint.metadata) ?? [:]
        try Validation.metadata(endpoint.metadata, field: ["body", "metadata"])
    }
}

/// Rules for endpoint fields.
enum EndpointValidation {
    static func url(_ url: String, httpsOnly: Bool) throws(FieldError) {
        let field = ["body", "url"]
        guard url.utf8.count <= 65_536 else { throw FieldError(loc: field, msg: "URL is too long.") }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), let host = parsed.host,
            !host.isEmpty
        else {
            throw FieldError(loc: field, msg: "Invalid URL: an absolute http(s) URL is required.")
        }
        guard scheme == "http" || scheme == "https" else {
            throw FieldError(loc: field, msg: "URL scheme must be http or https.")
        }
        if httpsOnly, scheme != "https" {
            throw FieldError(loc: field, msg: "Endpoint URL schemes must be https when endpoint_https_only is set.")
        }
    }

    static func eventTypes(_ eventTypes: [String]?) throws(FieldError) {
        guard let eventTypes else { return }
        guard !eventTypes.isEmpty else {
            throw FieldError(loc: ["body", "eventTypes"], msg: "eventTypes must have at least one item.")
        }
        for (index, name) in eventTypes.enumerated() {
            try Validation.identifier(name, field: ["body", "eventTypes", String(index)])
        }
    }

    static func channels(_ channels: [String]?) throws(FieldError) {
        guard let channels else { return }
        guard (1...10).contains(channels.count) else {
            throw FieldError(loc: ["body", "channels"], msg: "channels must have between 1 and 10 items.")
        }
        for (index, channel) in channels.enumerated() {
            try Validation.identifier(channel, field: ["body", "channels", String(index)], maxLength: 128)
        }
    }

    static var sensitive: Set<String> { Endpoint.sensitiveHeaders }
    static let forbidden: Set<String> = [
        "user-agent", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding",
        "upgrade", "age", "cache-control", "clear-site-data", "expires", "pragma", "warning", "content-length",
        "content-type", "content-encoding", "content-language", "content-location", "host", "connection",
    ]
    static let forbiddenPrefixes = [
        "x-amz-", "x-amzn-", "x-google", "x-goog-", "x-gfe", "x-azure-", "x-fd-", "x-svix-", "svix-", "webhook-",
    ]
    static let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

    static func headers(_ headers: [String: String], field: [String]) throws(FieldError) {
        for (name, value) in headers {
            let lower = name.lowercased()
            guard !name.isEmpty, name.allSatisfy(tokenCharacters.contains) else {
                throw FieldError(loc: field + [name], msg: "Invalid header name.")
            }
            if forbidden.contains(lower) || forbiddenPrefixes.contains(where: lower.hasPrefix) {
                throw FieldError(loc: field + [name], msg: "The header '\(name)' may not be set.")
            }
            guard value.utf8.count <= 4096, !value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw FieldError(loc: field + [name], msg: "Invalid header value.")
            }
        }
    }
}

/// `EndpointOut`.
struct EndpointOut: Encodable {
    var id: String
    var url: String
    var description: String
    var uid: String?
    var throttleRate: Int?
    var rateLimit: Int?
    var maxInFlight: Int?
    var disabled: Bool
    var eventTypes: [String]?
    var filterTypes: [String]?
    var channels: [String]?
    var metadata: [String: String]
    var createdAt: Timestamp
    var updatedAt: Timestamp
    var version: Int = 1

    init(_ endpoint: Endpoint) {
        id = endpoint.id.rawValue
        url = endpoint.url
        description = endpoint.description
        uid = endpoint.uid
        throttleRate = endpoint.throttleRate
        rateLimit = endpoint.throttleRate
        maxInFlight = endpoint.maxInFlight
        disabled = endpoint.disabled
        eventTypes = endpoint.eventTypes
        filterTypes = endpoint.eventTypes
        channels = endpoint.channels
        metadata = endpoint.metadata
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
    }
}

/// `EndpointSecretOut`.
struct EndpointSecretOut: Encodable {
    var key: String
}

/// `EndpointSecretRotateIn`.
struct EndpointSecretRotateIn: Decodable, Sendable {
    var key: String?
    var gracePeriodSeconds: Int?
}

/// `EndpointHeadersIn` (PUT).
struct EndpointHeadersIn: Decodable, Sendable {
    var headers: [String: String]
}

/// `EndpointHeadersPatchIn`: svix-server's `null` values and the SDK's `deleteHeaders` both delete.
struct EndpointHeadersPatchIn: Decodable, Sendable {
    var headers: [String: String?]
    var deleteHeaders: [String]?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        headers = try container.decode([String: String?].self, forKey: AnyKey("headers"))
        deleteHeaders = try container.decodeUnlessAbsent([String].self, forKey: AnyKey("deleteHeaders"))
    }
}

/// `EndpointHeadersOut`: sensitive headers are listed by name, never shown. The dashboard shows headers the same way.
public struct EndpointHeadersOut: Encodable, Sendable {
    /// The headers that may be shown, with their values.
    public var headers: [String: String]
    /// The names of the sensitive ones (`Authorization`, …), sorted.
    public var sensitive: [String]

    public init(_ endpoint: Endpoint) {
        (headers, sensitive) = endpoint.shownHeaders
    }
}

/// `EndpointStats`.
struct EndpointStatsOut: Encodable {
    var success: Int
    var pending: Int
    var sending: Int
    var fail: Int
    var canceled: Int
    /// Hookbird's extension, from this node's delivery engine (absent where none runs): requests in flight to the
    /// endpoint, the limit it is held to now, its timeouts in a row, deliveries waiting for a slot.
    var inFlight: Int?
    var inFlightLimit: Int?
    var timeoutsInARow: Int?
    var waitingForSlot: Int?

    init(success: Int, pending: Int, sending: Int, fail: Int, canceled: Int, load: EndpointLoadSnapshot? = nil) {
        self.success = success
        self.pending = pending
        self.sending = sending
        self.fail = fail
        self.canceled = canceled
        inFlight = load?.inFlight
        inFlightLimit = load?.limit
        timeoutsInARow = load?.timeoutsInARow
        waitingForSlot = load?.waiting
    }
}
