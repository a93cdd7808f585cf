//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdHTTP
import HookbirdOperations
import HookbirdCore
import HookbirdStorage
import Hummingbird

/// What the pages share: rows, tones, paths.
extension DashboardController {
    /// Successful and failed attempts of an endpoint in the last 24 hours.
    func lastDayCounts(_ endpoint: EndpointID, now: Timestamp) async throws -> (success: Int, fail: Int) {
        let counts = try await store.attemptCounts(endpoint: endpoint, since: now.adding(seconds: -86_400), until: now)
        return (counts[.success] ?? 0, counts[.fail] ?? 0)
    }

    func attemptRow(_ attempt: MessageAttempt, now: Timestamp) -> AttemptRow {
        let response = attempt.response.isEmpty ? nil : attempt.response
        return AttemptRow(
            timestamp: TimeText(attempt.timestamp, now: now),
            messageID: attempt.messageID.rawValue,
            messageHref: "\(Paths.application(attempt.appID))/messages/\(attempt.messageID.rawValue)",
            statusText: attempt.status.text,
            statusTone: Self.tone(attempt.status),
            statusCode: attempt.responseStatusCode,
            durationMs: attempt.responseDurationMs,
            trigger: attempt.trigger == .manual ? "manual" : "scheduled",
            response: response,
            responsePreview: response.map { String($0.prefix(80)) } ?? ""
        )
    }

    static func tone(_ status: MessageStatus) -> String {
        switch status {
        case .success: "good"
        case .fail: "bad"
        case .pending, .sending: "warn"
        case .canceled: ""
        }
    }

    static func tone(_ outcome: InboundOutcome) -> String {
        switch outcome {
        case .accepted: "good"
        case .refused: "bad"
        case .duplicate: "warn"
        case .handshake: ""
        }
    }

    /// The payload indented for reading; text that is not JSON is shown as it is.
    static func prettyJSON(_ text: String) -> String {
        guard let value = JSONValue.parse(text) else { return text }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return text }
        return String(decoding: data, as: UTF8.self)
    }

    func ingestURL(_ source: Source) -> String {
        source.ingestURL(publicURL: configuration.publicURL)
    }
}

/// The dashboard's URLs.
enum Paths {
    static func application(_ id: ApplicationID) -> String { "/dashboard/apps/\(id.rawValue)" }
    static func endpoint(_ endpoint: Endpoint) -> String {
        "\(application(endpoint.appID))/endpoints/\(endpoint.id.rawValue)"
    }
    static func message(_ message: Message) -> String {
        "\(application(message.appID))/messages/\(message.id.rawValue)"
    }
    static func source(_ source: Source) -> String { "/dashboard/sources/\(source.id.rawValue)" }
}
