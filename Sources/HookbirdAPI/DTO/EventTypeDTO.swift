//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore

/// `EventTypeIn` (POST) and `EventTypeUpsertIn` (PUT, where the name comes from the path).
struct EventTypeIn: Decodable, Sendable {
    var name: String?
    var description: String
    var archived: Bool
    var deprecated: Bool
    var schemas: JSONValue?
    var featureFlag: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        name = try container.decodeIfPresent(String.self, forKey: AnyKey("name"))
        description = try container.decode(String.self, forKey: AnyKey("description"))
        archived = try container.decodeUnlessAbsent(Bool.self, forKey: AnyKey("archived")) ?? false
        deprecated = try container.decodeUnlessAbsent(Bool.self, forKey: AnyKey("deprecated")) ?? false
        schemas = try container.decodeIfPresent(JSONValue.self, forKey: AnyKey("schemas"))
        if schemas == .null { schemas = nil }
        featureFlag = try container.decodeIfPresent(String.self, forKey: AnyKey("featureFlag"))
    }

    func validate(requireName: Bool) throws(FieldError) {
        if requireName {
            guard let name else { throw FieldError(loc: ["body", "name"], msg: "field required", type: "value_error.missing") }
            try Validation.identifier(name, field: ["body", "name"])
        }
        try Validation.text(description, field: ["body", "description"])
        try EventTypeIn.validateSchemas(schemas)
        if let featureFlag { try Validation.identifier(featureFlag, field: ["body", "featureFlag"]) }
    }

    /// Checks `schemas`: an object whose every value (the JSON schema of one version) is itself an object, as
    /// Svix types it; anything else is a 422 naming `schemas`.
    static func validateSchemas(_ schemas: JSONValue?) throws(FieldError) {
        guard let schemas else { return }
        guard case .object(let versions) = schemas else {
            throw FieldError(loc: ["body", "schemas"], msg: "schemas must be an object", type: "type_error")
        }
        for version in versions.keys.sorted() where !versions[version]!.isObject {
            throw FieldError(
                loc: ["body", "schemas", version],
                msg: "schemas must map each version to a JSON schema object",
                type: "type_error"
            )
        }
    }
}

extension EventTypeIn {
    /// Overwrites an event type with this body (PUT, or re-creating an archived one).
    func apply(to eventType: inout EventType, now: Timestamp) {
        eventType.description = description
        eventType.archived = archived
        eventType.deprecated = deprecated
        eventType.schemas = schemas
        eventType.featureFlag = featureFlag
        eventType.updatedAt = now
    }

    func makeEventType(org: OrganizationID, name: String, now: Timestamp) -> EventType {
        EventType(
            orgID: org,
            name: name,
            description: description,
            archived: archived,
            deprecated: deprecated,
            schemas: schemas,
            featureFlag: featureFlag,
            createdAt: now,
            updatedAt: now
        )
    }
}

/// `EventTypePatch`.
struct EventTypePatch: Decodable, Sendable {
    var description: Patch<String>
    var archived: Patch<Bool>
    var deprecated: Patch<Bool>
    var schemas: Patch<JSONValue>
    var featureFlag: Patch<String>

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        description = try container.nonNullPatch(String.self, forKey: AnyKey("description"))
        archived = try container.nonNullPatch(Bool.self, forKey: AnyKey("archived"))
        deprecated = try container.nonNullPatch(Bool.self, forKey: AnyKey("deprecated"))
        schemas = try container.patch(JSONValue.self, forKey: AnyKey("schemas"))
        featureFlag = try container.patch(String.self, forKey: AnyKey("featureFlag"))
    }

    func apply(to eventType: inout EventType) throws(FieldError) {
        if case .value(let description) = description {
            try Validation.text(description, field: ["body", "description"])
            eventType.description = description
        }
        if case .value(let archived) = archived { eventType.archived = archived }
        if case .value(let deprecated) = deprecated { eventType.deprecated = deprecated }
        if case .value(let value) = schemas { try EventTypeIn.validateSchemas(value) }
        eventType.schemas = schemas.applied(to: eventType.schemas)
        if case .value(let flag) = featureFlag { try Validation.identifier(flag, field: ["body", "featureFlag"]) }
        eventType.featureFlag = featureFlag.applied(to: eventType.featureFlag)
    }
}

/// `EventTypeOut`.
struct EventTypeOut: Encodable {
    var name: String
    var description: String
    var archived: Bool
    var deprecated: Bool
    var schemas: JSONValue?
    var featureFlag: String?
    var createdAt: Timestamp
    var updatedAt: Timestamp

    init(_ eventType: EventType, withContent: Bool = true) {
        name = eventType.name
        description = eventType.description
        archived = eventType.archived
        deprecated = eventType.deprecated
        schemas = withContent ? eventType.schemas : nil
        featureFlag = eventType.featureFlag
        createdAt = eventType.createdAt
        updatedAt = eventType.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case name, description, archived, deprecated, schemas, featureFlag, createdAt, updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(archived, forKey: .archived)
        try container.encode(deprecated, forKey: .deprecated)
        try container.encode(schemas, forKey: .schemas)
        try container.encode(featureFlag, forKey: .featureFlag)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
