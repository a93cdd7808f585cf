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

/// The pages: applications, an application, a message, an endpoint, sources, a source.
extension DashboardController {
    @Sendable func applicationsPage(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let session = try await session(request)
        let principal = session.principal
        let now = Timestamp.now
        let before = request.uri.queryParameters.get("before")
        var applications: [HookbirdCore.Application]
        if let appID = principal.appID {
            applications = [try await access.application(appID.rawValue, for: principal)]
        } else {
            applications = try await store.listApplications(
                org: principal.orgID,
                range: ListRange(before: before, order: .descending, limit: Self.pageSize + 1)
            )
        }
        let older = applications.count > Self.pageSize
        applications = Array(applications.prefix(Self.pageSize))
        var rows: [AppRow] = []
        for application in applications {
            let endpoints = try await store.listEndpoints(
                app: application.id,
                range: ListRange(order: .ascending, limit: 1000)
            )
            var success = 0
            var fail = 0
            for endpoint in endpoints {
                let counts = try await lastDayCounts(endpoint.id, now: now)
                success += counts.success
                fail += counts.fail
            }
            rows.append(
                AppRow(
                    id: application.id.rawValue,
                    uid: application.uid,
                    name: application.name,
                    href: Paths.application(application.id),
                    endpointCount: endpoints.count,
                    rate: RateText(success: success, fail: fail),
                    createdAt: TimeText(application.createdAt, now: now)
                )
            )
        }
        let body = AppsBody(
            apps: rows,
            olderHref: older ? applications.last.map { "/dashboard/apps?before=\($0.id.rawValue)" } : nil,
            newestHref: before == nil ? nil : "/dashboard/apps"
        )
        return pages.response("apps", await page("Applications", session: session, body: body))
    }

    @Sendable func applicationPage(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let session = try await session(request)
        let application = try await access.application(try context.parameters.require("app_id"), for: session.principal)
        let now = Timestamp.now
        let endpoints = try await store.listEndpoints(
            app: application.id,
            range: ListRange(order: .ascending, limit: 100)
        )
        var endpointRows: [EndpointRow] = []
        for endpoint in endpoints {
            let counts = try await lastDayCounts(endpoint.id, now: now)
            let lastFailure = try await store.listAttempts(
                app: application.id,
                filter: AttemptFilter(endpointID: endpoint.id, status: .fail),
                range: ListRange(order: .descending, limit: 1)
            ).first
            endpointRows.append(
                EndpointRow(
                    href: Paths.endpoint(endpoint),
                    url: endpoint.url,
                    description: endpoint.description,
                    statusText: endpoint.disabled ? "disabled" : "enabled",
                    statusTone: endpoint.disabled ? "bad" : "good",
                    rate: RateText(success: counts.success, fail: counts.fail),
                    lastFailure: lastFailure.map { attemptRow($0, now: now) }
                )
            )
        }
        let before = request.uri.queryParameters.get("before")
        var messages = try await store.listMessages(
            app: application.id,
            filter: MessageFilter(),
            range: ListRange(before: before, order: .descending, limit: Self.pageSize + 1)
        )
        let older = messages.count > Self.pageSize
        messages = Array(messages.prefix(Self.pageSize))
        let base = Paths.application(application.id)
        let body = AppBody(
            id: application.id.rawValue,
            uid: application.uid,
            name: application.name,
            createdAt: TimeText(application.createdAt, now: now),
            endpoints: endpointRows,
            messages: messages.map {
                MessageRow(
                    id: $0.id.rawValue,
                    href: Paths.message($0),
                    eventType: $0.eventType,
                    eventID: $0.eventID,
                    createdAt: TimeText($0.createdAt, now: now)
                )
            },
            olderHref: older ? messages.last.map { "\(base)?before=\($0.id.rawValue)" } : nil,
            newestHref: before == nil ? nil : base
        )
        let crumbs = [Crumb(label: "Applications", href: "/dashboard/apps")]
        return pages.response("app", await page(application.name, session: session, crumbs: crumbs, body: body))
    }

    @Sendable func messagePage(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let session = try await session(request)
        let application = try await access.application(try context.parameters.require("app_id"), for: session.principal)
        let message = try await access.message(try context.parameters.require("msg_id"), in: application)
        let now = Timestamp.now
        let endpoints = try await store.listEndpoints(
            app: application.id,
            range: ListRange(order: .ascending, limit: 100)
        )
        let attempts = try await store.listAttempts(
            app: application.id,
            filter: AttemptFilter(messageID: message.id),
            range: ListRange(order: .descending, limit: 250)
        )
        // The latest delivery of each endpoint (a resend adds a manual one after the scheduled one).
        var deliveries: [EndpointID: DeliveryState] = [:]
        for delivery in try await store.deliveries(message: message.id) {
            deliveries[delivery.endpointID] = delivery
        }
        let attemptsByEndpoint = Dictionary(grouping: attempts, by: \.endpointID)
        let cards = endpoints.map { endpoint in
            DeliveryCard(
                id: endpoint.id.rawValue,
                href: Paths.endpoint(endpoint),
                url: endpoint.url,
                description: endpoint.description.isEmpty ? nil : endpoint.description,
                statusText: endpoint.disabled ? "disabled" : "enabled",
                statusTone: endpoint.disabled ? "bad" : "good",
                disabled: endpoint.disabled,
                delivery: deliveries[endpoint.id].map { state in
                    DeliveryText(
                        text: state.status.text,
                        tone: Self.tone(state.status),
                        attemptCount: state.attemptCount,
                        nextAttempt: state.nextAttemptAt.map { TimeText($0, now: now) }
                    )
                },
                resendAction: "\(Paths.message(message))/resend",
                attempts: (attemptsByEndpoint[endpoint.id] ?? []).map { attemptRow($0, now: now) }
            )
        }
        // Endpoints the message went to come first.
        let sorted = cards.filter { $0.delivery != nil } + cards.filter { $0.delivery == nil }
        let body = MessageBody(
            id: message.id.rawValue,
            eventType: message.eventType,
            eventID: message.eventID,
            channels: message.channels.map { $0.joined(separator: ", ") },
            createdAt: TimeText(message.createdAt, now: now),
            payload: Self.prettyJSON(String(decoding: message.payload, as: UTF8.self)),
            endpoints: sorted
        )
        let crumbs = [
            Crumb(label: "Applications", href: "/dashboard/apps"),
            Crumb(label: application.name, href: Paths.application(application.id)),
        ]
        return pages.response("message", await page(message.eventType, session: session, crumbs: crumbs, body: body))
    }

    /// "3 of 16 in flight, 40 waiting; 2 timeouts in a row (limit halved twice)".
    static func loadText(_ load: EndpointLoadSnapshot) -> String {
        var text = "\(load.inFlight) of \(load.limit) in flight"
        if load.waiting > 0 { text += ", \(load.waiting) waiting" }
        if load.timeoutsInARow > 0 {
            text += "; \(load.timeoutsInARow) timeout\(load.timeoutsInARow == 1 ? "" : "s") in a row (fewer slots)"
        }
        return text
    }

    @Sendable func endpointPage(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let session = try await session(request)
        let application = try await access.application(try context.parameters.require("app_id"), for: session.principal)
        let endpoint = try await access.endpoint(try context.parameters.require("endpoint_id"), in: application)
        let now = Timestamp.now
        let query = request.uri.queryParameters
        let status = query.get("status").flatMap(Int.init).flatMap(MessageStatus.init(rawValue:))
        let codeClass = query.get("code").flatMap(Int.init).flatMap {
            [0, 100, 200, 300, 400, 500].contains($0) ? $0 : nil
        }
        let eventType = (query.get("event_type") ?? "").trimmingCharacters(in: .whitespaces)
        let before = query.get("before")
        var attempts = try await store.listAttempts(
            app: application.id,
            filter: AttemptFilter(
                endpointID: endpoint.id,
                status: status,
                statusCodeClass: codeClass,
                eventTypes: eventType.isEmpty ? nil : [eventType]
            ),
            range: ListRange(before: before, order: .descending, limit: Self.pageSize + 1)
        )
        let older = attempts.count > Self.pageSize
        attempts = Array(attempts.prefix(Self.pageSize))
        let counts = try await lastDayCounts(endpoint.id, now: now)
        let headers = endpoint.shownHeaders
        let href = Paths.endpoint(endpoint)
        var filters: [String] = []
        if let status { filters.append("status=\(status.rawValue)") }
        if let codeClass { filters.append("code=\(codeClass)") }
        if !eventType.isEmpty, let encoded = eventType.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            filters.append("event_type=\(encoded)")
        }
        let body = EndpointBody(
            id: endpoint.id.rawValue,
            uid: endpoint.uid,
            url: endpoint.url,
            description: endpoint.description.isEmpty ? nil : endpoint.description,
            statusText: endpoint.disabled ? "disabled" : "enabled",
            statusTone: endpoint.disabled ? "bad" : "good",
            eventTypes: endpoint.eventTypes.map { $0.joined(separator: ", ") } ?? "all",
            channels: endpoint.channels.map { $0.joined(separator: ", ") },
            rate: RateText(success: counts.success, fail: counts.fail),
            load: activity?.load(endpoint.id).map(Self.loadText),
            createdAt: TimeText(endpoint.createdAt, now: now),
            disabled: endpoint.disabled,
            toggleAction: endpoint.disabled ? "enable" : "disable",
            toggleLabel: endpoint.disabled ? "Enable" : "Disable",
            actionBase: href,
            defaultSince: TimeText.inputValue(now.adding(seconds: -86_400)),
            headers: headers.headers.sorted { $0.key.lowercased() < $1.key.lowercased() }.map {
                HeaderRow(name: $0.key, value: $0.value)
            }
                + headers.sensitive.map { HeaderRow(name: $0, value: nil) },
            href: href,
            statusOptions: [Option(value: "", label: "any", selected: status == nil)]
                + MessageStatus.allCases.map { Option(value: "\($0.rawValue)", label: $0.text, selected: $0 == status) },
            codeOptions: [Option(value: "", label: "any", selected: codeClass == nil)]
                + [(0, "no response"), (200, "2xx"), (300, "3xx"), (400, "4xx"), (500, "5xx")].map {
                    Option(value: "\($0.0)", label: $0.1, selected: $0.0 == codeClass)
                },
            eventTypeFilter: eventType,
            attempts: attempts.map { attemptRow($0, now: now) },
            olderHref: older
                ? attempts.last.map { "\(href)?\((filters + ["before=\($0.id.rawValue)"]).joined(separator: "&"))" }
                : nil,
            newestHref: before == nil ? nil : (filters.isEmpty ? href : "\(href)?\(filters.joined(separator: "&"))")
        )
        let crumbs = [
            Crumb(label: "Applications", href: "/dashboard/apps"),
            Crumb(label: application.name, href: Paths.application(application.id)),
        ]
        return pages.response("endpoint", await page("Endpoint", session: session, crumbs: crumbs, body: body))
    }

    @Sendable func sourcesPage(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let session = try await session(request)
        try session.principal.requireOrganization()
        let before = request.uri.queryParameters.get("before")
        var sources = try await store.listSources(
            org: session.principal.orgID,
            range: ListRange(before: before, order: .descending, limit: Self.pageSize + 1)
        )
        let older = sources.count > Self.pageSize
        sources = Array(sources.prefix(Self.pageSize))
        var rows: [SourceRow] = []
        for source in sources {
            let counts = try await store.inboundCounts(source: source.id).outcomes
            rows.append(
                SourceRow(
                    href: Paths.source(source),
                    name: source.name,
                    provider: source.settings.provider,
                    appID: source.appID.rawValue,
                    appHref: Paths.application(source.appID),
                    ingestURL: ingestURL(source),
                    accepted: counts[.accepted] ?? 0,
                    refused: counts[.refused] ?? 0,
                    duplicate: counts[.duplicate] ?? 0,
                    handshake: counts[.handshake] ?? 0
                )
            )
        }
        let body = SourcesBody(
            sources: rows,
            olderHref: older ? sources.last.map { "/dashboard/sources?before=\($0.id.rawValue)" } : nil,
            newestHref: before == nil ? nil : "/dashboard/sources"
        )
        return pages.response("sources", await page("Sources", session: session, body: body))
    }

    @Sendable func sourcePage(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let session = try await session(request)
        let source = try await access.source(try context.parameters.require("source_id"), for: session.principal)
        let now = Timestamp.now
        let query = request.uri.queryParameters
        let verdict = query.get("verdict").flatMap(InboundOutcome.init(rawValue:))
        let before = query.get("before")
        var requests = try await store.listInboundRequests(
            source: source.id,
            filter: InboundRequestFilter(outcome: verdict),
            range: ListRange(before: before, order: .descending, limit: Self.pageSize + 1)
        )
        let older = requests.count > Self.pageSize
        requests = Array(requests.prefix(Self.pageSize))
        let counts = try await store.inboundCounts(source: source.id)
        let href = Paths.source(source)
        let filter = verdict.map { "verdict=\($0.rawValue)&" } ?? ""
        let body = SourceBody(
            id: source.id.rawValue,
            uid: source.uid,
            name: source.name,
            provider: source.settings.provider,
            appID: source.appID.rawValue,
            appHref: Paths.application(source.appID),
            ingestURL: ingestURL(source),
            accepted: counts.outcomes[.accepted] ?? 0,
            refused: counts.outcomes[.refused] ?? 0,
            duplicate: counts.outcomes[.duplicate] ?? 0,
            handshake: counts.outcomes[.handshake] ?? 0,
            refusedReasons: counts.refusedReasons.sorted { $0.value > $1.value }.map {
                ReasonCount(reason: $0.key, count: $0.value)
            },
            href: href,
            verdictOptions: [Option(value: "", label: "any", selected: verdict == nil)]
                + InboundOutcome.allCases.map {
                    Option(value: $0.rawValue, label: $0.rawValue, selected: $0 == verdict)
                },
            requests: requests.map { stored in
                RequestRow(
                    receivedAt: TimeText(stored.receivedAt, now: now),
                    method: stored.method,
                    path: stored.path,
                    remoteAddress: stored.remoteAddress,
                    statusText: stored.outcome.rawValue,
                    statusTone: Self.tone(stored.outcome),
                    reason: stored.reason,
                    eventID: stored.eventID,
                    messageID: stored.messageID?.rawValue,
                    messageHref: stored.messageID.map { "\(Paths.application(source.appID))/messages/\($0.rawValue)" },
                    replayable: (stored.outcome == .accepted || stored.outcome == .duplicate)
                        && stored.messageID != nil,
                    replayAction: "\(href)/requests/\(stored.id.rawValue)/replay"
                )
            },
            olderHref: older ? requests.last.map { "\(href)?\(filter)before=\($0.id.rawValue)" } : nil,
            newestHref: before == nil ? nil : (verdict.map { "\(href)?verdict=\($0.rawValue)" } ?? href)
        )
        let crumbs = [Crumb(label: "Sources", href: "/dashboard/sources")]
        return pages.response("source", await page(source.name, session: session, crumbs: crumbs, body: body))
    }
}

// MARK: - Formatting
