//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore

/// Provider options accepted at the top level of a source body as well as under `options`.
let sourceOptionKeys = [
    "header", "algorithm", "encoding", "prefix", "timestampHeader", "template", "eventTypeHeader", "eventTypePointer",
    "eventIdHeader", "eventIdPointer",
]

/// `SourceIn`: the body of source create.
struct SourceIn: Decodable, Sendable {
    var name: String
    var uid: String?
    var provider: String
    var secrets: [String]
    var appId: String
    var toleranceSeconds: Int?
    var allowedIps: [String]
    var maxBody: Int?
    var options: [String: String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        name = try container.decode(String.self, forKey: AnyKey("name"))
        uid = try container.decodeIfPresent(String.self, forKey: AnyKey("uid"))
        provider = try container.decode(String.self, forKey: AnyKey("provider"))
        if let list = try container.decodeIfPresent([String].self, forKey: AnyKey("secrets")) {
            secrets = list
        } else if let one = try container.decodeIfPresent(String.self, forKey: AnyKey("secret")) {
            secrets = [one]
        } else {
            throw DecodingError.keyNotFound(AnyKey("secrets"), .init(codingPath: [], debugDescription: "secrets is required"))
        }
        appId = try container.decode(String.self, forKey: AnyKey("appId"))
        toleranceSeconds = try container.decodeIfPresent(Int.self, forKey: AnyKey("toleranceSeconds"))
        allowedIps = try container.decodeIfPresent([String].self, forKey: AnyKey("allowedIps")) ?? []
        maxBody = try container.decodeIfPresent(Int.self, forKey: AnyKey("maxBody"))
        var options = try container.decodeIfPresent([String: String].self, forKey: AnyKey("options")) ?? [:]
        for key in sourceOptionKeys {
            if let value = try container.decodeIfPresent(String.self, forKey: AnyKey(key)) { options[key] = value }
        }
        self.options = options
    }

    func validate() throws(FieldError) {
        try Validation.text(name, field: ["body", "name"], allowEmpty: false)
        if let uid { try Validation.identifier(uid, field: ["body", "uid"], forbiddenPrefix: SourceID.prefix) }
        try SourceValidation.provider(provider)
        try SourceValidation.secrets(secrets)
        try SourceValidation.tolerance(toleranceSeconds)
        try SourceValidation.allowedIPs(allowedIps)
        try SourceValidation.maxBody(maxBody)
        try SourceValidation.options(options, provider: provider)
    }
}

/// `SourcePatch`.
struct SourcePatch: Decodable, Sendable {
    var name: String?
    var uid: Patch<String>
    var secrets: [String]?
    var appId: String?
    var toleranceSeconds: Patch<Int>
    var allowedIps: [String]?
    var maxBody: Int?
    var options: [String: String]?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        name = try container.decodeIfPresent(String.self, forKey: AnyKey("name"))
        uid = try container.patch(String.self, forKey: AnyKey("uid"))
        secrets = try container.decodeIfPresent([String].self, forKey: AnyKey("secrets"))
        appId = try container.decodeIfPresent(String.self, forKey: AnyKey("appId"))
        toleranceSeconds = try container.patch(Int.self, forKey: AnyKey("toleranceSeconds"))
        allowedIps = try container.decodeIfPresent([String].self, forKey: AnyKey("allowedIps"))
        maxBody = try container.decodeIfPresent(Int.self, forKey: AnyKey("maxBody"))
        options = try container.decodeIfPresent([String: String].self, forKey: AnyKey("options"))
    }

    func apply(to source: inout Source) throws(FieldError) {
        if let name {
            try Validation.text(name, field: ["body", "name"], allowEmpty: false)
            source.name = name
        }
        source.uid = uid.applied(to: source.uid)
        if let uid = source.uid { try Validation.identifier(uid, field: ["body", "uid"], forbiddenPrefix: SourceID.prefix) }
        if let secrets {
            try SourceValidation.secrets(secrets)
            source.settings.secrets = secrets
        }
        source.settings.toleranceSeconds = toleranceSeconds.applied(to: source.settings.toleranceSeconds)
        try SourceValidation.tolerance(source.settings.toleranceSeconds)
        if let allowedIps {
            try SourceValidation.allowedIPs(allowedIps)
            source.allowedIPs = allowedIps
        }
        if let maxBody {
            try SourceValidation.maxBody(maxBody)
            source.maxBody = maxBody
        }
        if let options {
            try SourceValidation.options(options, provider: source.settings.provider)
            source.settings.options = options
        }
    }
}

/// Rules for source fields.
enum SourceValidation {
    static func provider(_ provider: String) throws(FieldError) {
        guard InboundVerifiers.verifier(for: provider) != nil else {
            let known = InboundVerifiers.all.keys.sorted().joined(separator: ", ")
            throw FieldError(loc: ["body", "provider"], msg: "Unknown provider '\(provider)'; known: \(known)")
        }
    }

    static func secrets(_ secrets: [String]) throws(FieldError) {
        guard (1...10).contains(secrets.count) else {
            throw FieldError(loc: ["body", "secrets"], msg: "secrets must have 1 to 10 items")
        }
        for (index, secret) in secrets.enumerated() where secret.isEmpty || secret.utf8.count > 1024 {
            throw FieldError(loc: ["body", "secrets", String(index)], msg: "a secret must be 1 to 1024 bytes")
        }
    }

    static func tolerance(_ seconds: Int?) throws(FieldError) {
        if let seconds, !(1...86_400).contains(seconds) {
            throw FieldError(loc: ["body", "toleranceSeconds"], msg: "toleranceSeconds must be 1 to 86400")
        }
    }

    static func allowedIPs(_ ranges: [String]) throws(FieldError) {
        for (index, range) in ranges.enumerated() where IPRange(range) == nil {
            throw FieldError(loc: ["body", "allowedIps", String(index)], msg: "'\(range)' is not a CIDR range")
        }
    }

    static func maxBody(_ bytes: Int?) throws(FieldError) {
        if let bytes, !(1...(64 << 20)).contains(bytes) {
            throw FieldError(loc: ["body", "maxBody"], msg: "maxBody must be 1 byte to 64 MiB")
        }
    }

    static func options(_ options: [String: String], provider: String) throws(FieldError) {
        if provider == "hmac", (options["header"] ?? "").isEmpty {
            throw FieldError(loc: ["body", "header"], msg: "the hmac provider needs the signature header's name")
        }
        if let algorithm = options["algorithm"], !["sha1", "sha256", "sha512"].contains(algorithm) {
            throw FieldError(loc: ["body", "algorithm"], msg: "algorithm must be sha1, sha256 or sha512")
        }
        if let encoding = options["encoding"], !["hex", "base64"].contains(encoding) {
            throw FieldError(loc: ["body", "encoding"], msg: "encoding must be hex or base64")
        }
    }
}

/// `SourceOut`: secrets are never shown here (see `GET …/secret`).
struct SourceOut: Encodable {
    var id: String
    var uid: String?
    var name: String
    var provider: String
    var appId: String
    var ingestUrl: String
    var toleranceSeconds: Int?
    var allowedIps: [String]
    var maxBody: Int
    var options: [String: String]
    var createdAt: Timestamp
    var updatedAt: Timestamp

    init(_ source: Source, publicURL: String) {
        id = source.id.rawValue
        uid = source.uid
        name = source.name
        provider = source.settings.provider
        appId = source.appID.rawValue
        ingestUrl = source.ingestURL(publicURL: publicURL)
        toleranceSeconds =
            source.settings.toleranceSeconds
            ?? InboundVerifiers.verifier(for: source.settings.provider).flatMap { type(of: $0).defaultToleranceSeconds }
        allowedIps = source.allowedIPs
        maxBody = source.maxBody
        options = source.settings.options
        createdAt = source.createdAt
        updatedAt = source.updatedAt
    }
}

/// A stored inbound request, as shown to people.
struct InboundRequestOut: Encodable {
    var id: String
    var sourceId: String
    var method: String
    var path: String
    var query: String?
    var headers: [[String]]
    var body: String
    /// `utf8` or `base64`.
    var bodyEncoding: String
    var remoteAddress: String?
    var receivedAt: Timestamp
    var verdict: String
    var reason: String?
    var eventId: String?
    var msgId: String?

    init(_ request: StoredInboundRequest) {
        id = request.id.rawValue
        sourceId = request.sourceID.rawValue
        method = request.method
        path = request.path
        query = request.query
        headers = request.headers
        if let text = String(validating: request.body, as: UTF8.self) {
            body = text
            bodyEncoding = "utf8"
        } else {
            body = Data(request.body).base64EncodedString()
            bodyEncoding = "base64"
        }
        remoteAddress = request.remoteAddress
        receivedAt = request.receivedAt
        verdict = request.outcome.rawValue
        reason = request.reason
        eventId = request.eventID
        msgId = request.messageID?.rawValue
    }
}
