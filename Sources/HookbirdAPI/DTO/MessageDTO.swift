//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore

/// `MessageIn`.
struct MessageIn: Decodable, Sendable {
    var eventType: String
    var payload: JSONValue
    var eventId: String?
    var channels: [String]?
    var payloadRetentionPeriod: Int
    var application: ApplicationIn?
    var rawPayload: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        eventType = try container.decode(String.self, forKey: AnyKey("eventType"))
        if container.contains(AnyKey("payload")) {
            payload = try container.decode(JSONValue.self, forKey: AnyKey("payload"))
        } else if container.contains(AnyKey("data")) {
            payload = try container.decode(JSONValue.self, forKey: AnyKey("data"))
        } else {
            throw DecodingError.keyNotFound(
                AnyKey("payload"),
                .init(codingPath: decoder.codingPath, debugDescription: "payload is required")
            )
        }
        eventId = try container.decodeIfPresent(String.self, forKey: AnyKey("eventId"))
        channels = try container.decodeIfPresent([String].self, forKey: AnyKey("channels"))
        payloadRetentionPeriod = try container.decodeIfPresent(Int.self, forKey: AnyKey("payloadRetentionPeriod")) ?? 90
        application = try container.decodeIfPresent(ApplicationIn.self, forKey: AnyKey("application"))
        if let params = try container.decodeIfPresent(JSONValue.self, forKey: AnyKey("transformationsParams")),
            case .object(let fields) = params, case .string(let raw) = fields["rawPayload"]
        {
            rawPayload = raw
        }
    }

    func validate() throws(FieldError) {
        try Validation.identifier(eventType, field: ["body", "eventType"])
        guard payload.isObject else {
            throw FieldError(loc: ["body", "payload"], msg: "Payload must be an object.")
        }
        if let eventId {
            try Validation.identifier(eventId, field: ["body", "eventId"], forbiddenPrefix: MessageID.prefix)
        }
        if let channels {
            guard (1...10).contains(channels.count) else {
                throw FieldError(loc: ["body", "channels"], msg: "channels must have between 1 and 10 items.")
            }
            for (index, channel) in channels.enumerated() {
                try Validation.identifier(channel, field: ["body", "channels", String(index)], maxLength: 128)
            }
        }
        guard (1...90).contains(payloadRetentionPeriod) else {
            throw FieldError(loc: ["body", "payloadRetentionPeriod"], msg: "payloadRetentionPeriod must be 1 to 90.")
        }
        try application?.validate()
    }
}

/// `MessageOut`.
struct MessageOut: Encodable {
    var id: String
    var eventType: String
    var eventId: String?
    var channels: [String]?
    var payload: JSONValue
    var timestamp: Timestamp

    init(_ message: Message, withContent: Bool, now: Timestamp = .now) {
        id = message.id.rawValue
        eventType = message.eventType
        eventId = message.eventID
        channels = message.channels
        timestamp = message.createdAt
        if !withContent {
            payload = .object([:])
        } else if message.createdAt.adding(seconds: Int64(message.retentionDays) * 86_400) < now {
            payload = .object(["expired": .bool(true)])
        } else {
            payload = JSONValue.parse(message.payload) ?? .object([:])
        }
    }
}

/// `MessageAttemptOut`.
struct MessageAttemptOut: Encodable {
    var id: String
    var msgId: String
    var endpointId: String
    var url: String
    var response: String
    var responseStatusCode: Int
    var responseDurationMs: Int64
    var status: Int
    var statusText: String
    var triggerType: Int
    var timestamp: Timestamp

    init(_ attempt: MessageAttempt, withContent: Bool) {
        id = attempt.id.rawValue
        msgId = attempt.messageID.rawValue
        endpointId = attempt.endpointID.rawValue
        url = attempt.url
        response = withContent ? attempt.response : "{}"
        responseStatusCode = attempt.responseStatusCode
        responseDurationMs = attempt.responseDurationMs
        status = attempt.status.rawValue
        statusText = attempt.status.text
        triggerType = attempt.trigger.rawValue
        timestamp = attempt.timestamp
    }
}
