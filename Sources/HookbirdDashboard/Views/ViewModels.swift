//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore

// The values the templates render. Mustache reads their stored properties by name (through `Mirror`), so each
// is a plain struct holding exactly what a template shows, already formatted.

/// What every page has: the layout's fields, and the page's own `body`.
struct Page<Body> {
    var title: String
    var signedIn: Bool
    /// An organisation token (sources are shown only to those).
    var orgScope: Bool
    var who: String
    /// The session's CSRF token (or the sign-in form's), put in every form.
    var csrf: String
    var crumbs: [Crumb]
    var flash: Flash?
    var body: Body
}

struct Crumb {
    var label: String
    var href: String
}

/// A point in time, as the `time` partial shows it: relative ("5 min ago") and absolute (UTC).
struct TimeText {
    var iso: String
    var absolute: String
    var relative: String

    init(_ time: Timestamp, now: Timestamp) {
        let text = time.description
        iso = text
        absolute = "\(text.prefix(10)) \(text.dropFirst(11).prefix(8)) UTC"
        relative = Self.relative(seconds: (time.microseconds - now.microseconds) / 1_000_000)
    }

    /// "just now", "5 min ago", "in 3 h", "2 d ago".
    static func relative(seconds: Int64) -> String {
        let distance = abs(seconds)
        let amount: String
        switch distance {
        case ..<45: return "just now"
        case ..<(90 * 60): amount = "\(max(1, (distance + 30) / 60)) min"
        case ..<(36 * 3600): amount = "\((distance + 1800) / 3600) h"
        default: amount = "\((distance + 43_200) / 86_400) d"
        }
        return seconds < 0 ? "\(amount) ago" : "in \(amount)"
    }

    /// `yyyy-MM-ddTHH:mm` in UTC, the value of an `<input type="datetime-local">`.
    static func inputValue(_ time: Timestamp) -> String {
        String(time.description.prefix(16))
    }

    /// Parses an `<input type="datetime-local">` value (or any ISO 8601 date-time) as UTC.
    static func parseInput(_ text: String) -> Timestamp? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return Timestamp(iso8601: trimmed.count == 16 ? trimmed + ":00" : trimmed)
    }
}

/// A success rate: successful attempts among all finished ones.
struct RateText {
    var percent: String
    var total: Int
    var tone: String

    /// `nil` when there were no attempts.
    init?(success: Int, fail: Int) {
        let total = success + fail
        guard total > 0 else { return nil }
        let rate = Double(success) / Double(total) * 100
        let tenths = (rate * 10).rounded(.down) / 10
        percent = tenths == tenths.rounded() ? "\(Int(tenths)) %" : "\(tenths) %"
        self.total = total
        tone = rate >= 99 ? "good" : rate >= 90 ? "warn" : "bad"
    }
}

/// A `<select>` option.
struct Option {
    var value: String
    var label: String
    var selected: Bool
}

struct LoginBody {
    var error: String?
}

struct ErrorPageBody {
    var status: Int
    var heading: String
    var detail: String
}

struct AppRow {
    var id: String
    var uid: String?
    var name: String
    var href: String
    var endpointCount: Int
    var rate: RateText?
    var createdAt: TimeText
}

struct AppsBody {
    var apps: [AppRow]
    var olderHref: String?
    var newestHref: String?
}

struct AttemptRow {
    var timestamp: TimeText
    var messageID: String
    var messageHref: String
    var statusText: String
    var statusTone: String
    var statusCode: Int
    var durationMs: Int64
    var trigger: String
    /// `nil` when the body was empty.
    var response: String?
    var responsePreview: String
}

struct EndpointRow {
    var href: String
    var url: String
    var description: String
    var statusText: String
    var statusTone: String
    var rate: RateText?
    var lastFailure: AttemptRow?
}

struct MessageRow {
    var id: String
    var href: String
    var eventType: String
    var eventID: String?
    var createdAt: TimeText
}

struct AppBody {
    var id: String
    var uid: String?
    var name: String
    var createdAt: TimeText
    var endpoints: [EndpointRow]
    var messages: [MessageRow]
    var olderHref: String?
    var newestHref: String?
}

/// Where a message's delivery to one endpoint stands.
struct DeliveryText {
    var text: String
    var tone: String
    var attemptCount: Int
    var nextAttempt: TimeText?
}

/// One endpoint on a message's page: its delivery, its attempts, and Resend.
struct DeliveryCard {
    var id: String
    var href: String
    var url: String
    var description: String?
    var statusText: String
    var statusTone: String
    var disabled: Bool
    var delivery: DeliveryText?
    var resendAction: String
    var attempts: [AttemptRow]
    var showMessage = false
}

struct MessageBody {
    var id: String
    var eventType: String
    var eventID: String?
    var channels: String?
    var createdAt: TimeText
    var payload: String
    var endpoints: [DeliveryCard]
}

struct HeaderRow {
    var name: String
    /// `nil` for a sensitive header, whose value is never shown.
    var value: String?
}

struct EndpointBody {
    var id: String
    var uid: String?
    var url: String
    var description: String?
    var statusText: String
    var statusTone: String
    var eventTypes: String
    var channels: String?
    var rate: RateText?
    /// What this node's delivery engine does for the endpoint now, e.g. "3 of 16 in flight".
    var load: String?
    var createdAt: TimeText
    var disabled: Bool
    var toggleAction: String
    var toggleLabel: String
    var actionBase: String
    var defaultSince: String
    var headers: [HeaderRow]
    var href: String
    var statusOptions: [Option]
    var codeOptions: [Option]
    var eventTypeFilter: String
    var attempts: [AttemptRow]
    var showMessage = true
    var olderHref: String?
    var newestHref: String?
}

struct SourceRow {
    var href: String
    var name: String
    var provider: String
    var appID: String
    var appHref: String
    var ingestURL: String
    var accepted: Int
    var refused: Int
    var duplicate: Int
    var handshake: Int
}

struct SourcesBody {
    var sources: [SourceRow]
    var olderHref: String?
    var newestHref: String?
}

struct ReasonCount {
    var reason: String
    var count: Int
}

struct RequestRow {
    var receivedAt: TimeText
    var method: String
    var path: String
    var remoteAddress: String?
    var statusText: String
    var statusTone: String
    var reason: String?
    var eventID: String?
    var messageID: String?
    var messageHref: String?
    var replayable: Bool
    var replayAction: String
}

struct SourceBody {
    var id: String
    var uid: String?
    var name: String
    var provider: String
    var appID: String
    var appHref: String
    var ingestURL: String
    var accepted: Int
    var refused: Int
    var duplicate: Int
    var handshake: Int
    var refusedReasons: [ReasonCount]
    var href: String
    var verdictOptions: [Option]
    var requests: [RequestRow]
    var olderHref: String?
    var newestHref: String?
}
