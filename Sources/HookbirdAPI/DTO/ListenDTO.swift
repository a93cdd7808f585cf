//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore

/// The body of `POST /api/v1/app/{app_id}/listen`: registers (or, by `uid`, re-attaches to) a stream endpoint.
struct ListenIn: Decodable, Sendable {
    /// Names the stream endpoint, so that a restarted listener gets what waited for it; absent: a new one each time.
    var uid: String?
    var description: String?
    /// Event types forwarded; absent: all. Replaces the endpoint's filter on every registration.
    var eventTypes: [String]?
    /// Channels forwarded; absent: all.
    var channels: [String]?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        uid = try container.decodeIfPresent(String.self, forKey: AnyKey("uid"))
        description = try container.decodeIfPresent(String.self, forKey: AnyKey("description"))
        eventTypes =
            try container.decodeIfPresent([String].self, forKey: AnyKey("eventTypes"))
            ?? container.decodeIfPresent([String].self, forKey: AnyKey("filterTypes"))
        channels = try container.decodeIfPresent([String].self, forKey: AnyKey("channels"))
    }

    func validate() throws(FieldError) {
        if let uid { try Validation.identifier(uid, field: ["body", "uid"], forbiddenPrefix: EndpointID.prefix) }
        if let description { try Validation.text(description, field: ["body", "description"]) }
        try EndpointValidation.eventTypes(eventTypes)
        try EndpointValidation.channels(channels)
    }
}

/// The answer to a listen registration: the endpoint, the secret its webhooks are signed with, and where to
/// connect.
struct ListenOut: Encodable {
    var endpointId: String
    var uid: String?
    var url: String
    var secret: String
    var eventTypes: [String]?
    var channels: [String]?
    /// The server-sent-events stream (path under the server's base URL).
    var streamUrl: String
    /// Where the listener posts each webhook's outcome (``ListenResultIn``).
    var resultUrl: String

    init(_ endpoint: Endpoint) {
        endpointId = endpoint.id.rawValue
        uid = endpoint.uid
        url = endpoint.url
        // As for the secret route: an ed25519 endpoint is verified with its public key.
        secret = endpoint.secret.publicKey ?? endpoint.secret.encoded
        eventTypes = endpoint.eventTypes
        channels = endpoint.channels
        let base = "/api/v1/app/\(endpoint.appID.rawValue)/listen/\(endpoint.id.rawValue)"
        streamUrl = base + "/stream"
        resultUrl = base + "/result"
    }
}

/// What a listener reports for one webhook: the local receiver's `status` (and `body`, `retryAfter`), or an
/// `error` when it could not be reached.
struct ListenResultIn: Decodable, Sendable {
    var token: String
    var status: Int?
    var body: String?
    var retryAfter: String?
    var error: String?
}

/// The `data` of a `webhook` event on the stream: the signed request to forward as it is.
struct ListenerWebhookOut: Encodable {
    /// Echoed in the result.
    var token: String
    var msgId: String?
    var eventType: String?
    /// `[name, value]` pairs in order (signature headers included).
    var headers: [[String]]
    /// The payload (JSON text).
    var body: String
}

/// The `data` of the `ready` event that opens the stream.
struct ListenerReadyOut: Encodable {
    var endpointId: String
    /// Deliveries that waited for a retry and were made due at once on connecting.
    var expedited: Int
}
