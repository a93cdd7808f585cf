//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// The state of a delivery or an attempt, with Svix's wire numbers.
public enum MessageStatus: Int, Hashable, Sendable, Codable, CaseIterable {
    case success = 0
    case pending = 1
    case fail = 2
    case sending = 3
    case canceled = 4

    /// Svix's `statusText`.
    public var text: String {
        switch self {
        case .success: "success"
        case .pending: "pending"
        case .fail: "fail"
        case .sending: "sending"
        case .canceled: "canceled"
        }
    }
}

/// Why an attempt was made: `scheduled` deliveries and their retries, or a `manual` resend or recovery.
public enum AttemptTrigger: Int, Hashable, Sendable, Codable {
    case scheduled = 0
    case manual = 1
}

/// One HTTP request made to an endpoint for a message, with what came back.
public struct MessageAttempt: Hashable, Sendable {
    public var id: AttemptID
    public var messageID: MessageID
    public var endpointID: EndpointID
    public var appID: ApplicationID
    public var orgID: OrganizationID
    public var url: String
    /// The response body (at most 20 000 bytes) or the transport error.
    public var response: String
    /// 0 when no HTTP response came back.
    public var responseStatusCode: Int
    public var responseDurationMs: Int64
    public var status: MessageStatus
    public var trigger: AttemptTrigger
    public var timestamp: Timestamp

    public init(
        id: AttemptID,
        messageID: MessageID,
        endpointID: EndpointID,
        appID: ApplicationID,
        orgID: OrganizationID,
        url: String,
        response: String,
        responseStatusCode: Int,
        responseDurationMs: Int64,
        status: MessageStatus,
        trigger: AttemptTrigger,
        timestamp: Timestamp
    ) {
        self.id = id
        self.messageID = messageID
        self.endpointID = endpointID
        self.appID = appID
        self.orgID = orgID
        self.url = url
        self.response = response
        self.responseStatusCode = responseStatusCode
        self.responseDurationMs = responseDurationMs
        self.status = status
        self.trigger = trigger
        self.timestamp = timestamp
    }
}
