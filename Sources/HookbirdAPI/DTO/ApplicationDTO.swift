//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore

/// `ApplicationIn`: the body of app create and PUT.
struct ApplicationIn: Decodable, Sendable {
    var name: String
    var uid: String?
    var throttleRate: Int?
    var metadata: [String: String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        name = try container.decode(String.self, forKey: AnyKey("name"))
        uid = try container.decodeIfPresent(String.self, forKey: AnyKey("uid"))
        throttleRate =
            try container.decodeIfPresent(Int.self, forKey: AnyKey("throttleRate"))
            ?? container.decodeIfPresent(Int.self, forKey: AnyKey("rateLimit"))
        metadata = try container.decodeIfPresent([String: String].self, forKey: AnyKey("metadata")) ?? [:]
    }

    func validate() throws(FieldError) {
        try Validation.text(name, field: ["body", "name"], allowEmpty: false)
        if let uid { try Validation.identifier(uid, field: ["body", "uid"], forbiddenPrefix: ApplicationID.prefix) }
        try Validation.throttleRate(throttleRate, field: ["body", "throttleRate"])
        try Validation.metadata(metadata, field: ["body", "metadata"])
    }
}

extension ApplicationIn {
    func makeApplication(org: OrganizationID, now: Timestamp) -> Application {
        Application(
            id: .generate(at: now),
            orgID: org,
            uid: uid,
            name: name,
            throttleRate: throttleRate,
            metadata: metadata,
            createdAt: now,
            updatedAt: now
        )
    }

    /// Replaces an application's fields with this body (PUT).
    func apply(to application: inout Application, now: Timestamp) {
        application.name = name
        application.uid = uid
        application.throttleRate = throttleRate
        application.metadata = metadata
        application.updatedAt = now
    }
}

/// `ApplicationPatch`.
struct ApplicationPatch: Decodable, Sendable {
    var name: Patch<String>
    var uid: Patch<String>
    var throttleRate: Patch<Int>
    var metadata: Patch<[String: String]>

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        name = try container.patch(String.self, forKey: AnyKey("name"))
        uid = try container.patch(String.self, forKey: AnyKey("uid"))
        throttleRate = try container.patch(Int.self, forKey: AnyKey("throttleRate"))
        if case .absent = throttleRate { throttleRate = try container.patch(Int.self, forKey: AnyKey("rateLimit")) }
        metadata = try container.patch([String: String].self, forKey: AnyKey("metadata"))
    }

    func apply(to application: inout Application) throws(FieldError) {
        switch name {
        case .absent: break
        case .null: throw FieldError(loc: ["body", "name"], msg: "name must not be null", type: "type_error")
        case .value(let name):
            try Validation.text(name, field: ["body", "name"], allowEmpty: false)
            application.name = name
        }
        application.uid = uid.applied(to: application.uid)
        if let uid = application.uid {
            try Validation.identifier(uid, field: ["body", "uid"], forbiddenPrefix: ApplicationID.prefix)
        }
        application.throttleRate = throttleRate.applied(to: application.throttleRate)
        try Validation.throttleRate(application.throttleRate, field: ["body", "throttleRate"])
        application.metadata = metadata.applied(to: application.metadata) ?? [:]
        try Validation.metadata(application.metadata, field: ["body", "metadata"])
    }
}

/// `ApplicationOut`.
struct ApplicationOut: Encodable {
    var id: String
    var name: String
    var uid: String?
    var throttleRate: Int?
    var rateLimit: Int?
    var metadata: [String: String]
    var createdAt: Timestamp
    var updatedAt: Timestamp

    init(_ application: Application) {
        id = application.id.rawValue
        name = application.name
        uid = application.uid
        throttleRate = application.throttleRate
        rateLimit = application.throttleRate
        metadata = application.metadata
        createdAt = application.createdAt
        updatedAt = application.updatedAt
    }
}
