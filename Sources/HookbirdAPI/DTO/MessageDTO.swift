//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdHTTP
import Hummingbird
import NIOCore
import NIOFoundationCompat

/// `MessageIn`. The payload is not decoded here: the decoder checks it is an object, and ``read(from:)`` writes its
/// canonical bytes from the document the fields were decoded from.
struct MessageIn: Decodable, Sendable {
    var eventType: String
    /// Where the payload is: `payload`, or its alias `data`.
    var payloadKey: String
    var eventId: String?
    var channels: [String]?
    var payloadRetentionPeriod: Int
    var application: ApplicationIn?
    var rawPayload: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        eventType = try container.decode(String.self, forKey: AnyKey("eventType"))
        if container.contains(AnyKey("payload")) {
            payloadKey = "payload"
        } else if container.contains(AnyKey("data")) {
            payloadKey = "data"
        } else {
            throw DecodingError.keyNotFound(
                AnyKey("payload"),
                .init(codingPath: decoder.codingPath, debugDescription: "payload is required")
            )
        }
        _ = try container.decode(ObjectShape.self, forKey: AnyKey(payloadKey))
        eventId = try container.decodeIfPresent(String.self, forKey: AnyKey("eventId"))
        channels = try container.decodeIfPresent([String].self, forKey: AnyKey("channels"))
        payloadRetentionPeriod =
            try container.decodeUnlessAbsent(Int.self, forKey: AnyKey("payloadRetentionPeriod")) ?? 90
        application = try container.decodeIfPresent(ApplicationIn.self, forKey: AnyKey("application"))
        if let params = try container.decodeIfPresent(JSONValue.self, forKey: AnyKey("transformationsParams")),
            case .object(let fields) = params, case .string(let raw) = fields["rawPayload"]
        {
            rawPayload = raw
        }
    }

    /// Decodes a body and returns it with the payload's canonical bytes (compact, keys sorted). The body is read
    /// once: the payload's bytes are written from the document the fields are decoded from.
    static func read(from buffer: ByteBuffer) throws -> (MessageIn, payload: [UInt8]) {
        let document = try JSONBody.document(buffer)
        let body = try JSONBody.decode(MessageIn.self, from: document)
        guard case .object(let fields) = document, let payload = fields[body.payloadKey] else {
            throw JSONBody.malformed
        }
        return (body, payload.canonicalBytes())
    }

    func validate() throws(FieldError) {
        try Validation.identifier(eventType, field: ["body", "eventType"])
        if let eventId {
            try Validation.identifier(eventId, field: ["body", "eventId"], forbiddenPrefix: MessageID.prefix)
        }
        if let channels {
            guard (1...5).contains(channels.count) else {
                throw FieldError(loc: ["body", "channels"], msg: "channels must have between 1 and 5 items.")
            }
            for (index, channel) in channels.enumerated() {
                try Validation.identifier(channel, field: ["body", "channels", String(index)], maxLength: 128)
            }
        }
        guard (5...90).contains(payloadRetentionPeriod) else {
            throw FieldError(loc: ["body", "payloadRetentionPeriod"], msg: "payloadRetentionPeriod must be 5 to 90.")
        }
        try application?.validate()
    }
}

/// Checks that a value is a JSON object without decoding what is inside.
struct ObjectShape: Decodable {
    init(from decoder: any Decoder) throws {
        guard (try? decoder.container(keyedBy: AnyKey.self)) != nil else {
            throw FieldError(loc: ["body", "payload"], msg: "Payload must be an object.")
        }
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
            payload = JSONValue.parse(bytes: message.payload) ?? .object([:])
        }
    }
}

extension MessageOut {
    /// Keys sorted: a message's answer is the same bytes each time it is rendered, so that a repeat of its
    /// `Idempotency-Key`, answered from the stored message, gets the first answer byte for byte.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    /// A response with one message, its stored payload written into the JSON as it is rather than parsed and
    /// encoded again.
    /// - Parameter payloadIsObject: The payload is known to be a JSON object (the canonical bytes of the one just
    ///   read), so it need not be parsed again to tell.
    static func response(
        status: HTTPResponse.Status,
        _ message: Message,
        withContent: Bool,
        now: Timestamp,
        payloadIsObject: Bool = false
    ) -> Response {
        let expired = message.createdAt.adding(seconds: Int64(message.retentionDays) * 86_400) < now
        // A raw payload (`transformationsParams.rawPayload`) need not be JSON; only a JSON object is written as is.
        let written = withContent && !expired && (payloadIsObject || Self.isObject(message.payload))
        let json = Self.json(MessageOut(message, withContent: withContent && !written, now: now))
        var body: ByteBuffer
        // `"payload":{}` appears once: no other field can hold a quote or a brace.
        if written, let range = json.firstRange(of: Self.emptyPayload) {
            body = ByteBuffer()
            body.reserveCapacity(json.count + message.payload.count)
            body.writeBytes(json[..<(range.upperBound - 2)])
            body.writeBytes(message.payload)
            body.writeBytes(json[range.upperBound...])
        } else if written {
            body = ByteBuffer(data: Self.json(MessageOut(message, withContent: true, now: now)))
        } else {
            body = ByteBuffer(data: json)
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    private static let emptyPayload = Array(#""payload":{}"#.utf8)

    private static func isObject(_ payload: [UInt8]) -> Bool {
        payload.first == UInt8(ascii: "{") && JSONValue.parse(bytes: payload)?.isObject == true
    }

    static func json(_ out: MessageOut) -> Data {
        (try? encoder.encode(out)) ?? Data(#"{"code":"server_error","detail":"Internal Server Error"}"#.utf8)
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
