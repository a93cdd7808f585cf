//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
public import HookbirdHTTP
public import HookbirdCore
public import HookbirdStorage
public import Hummingbird
import Logging
import Metrics
import NIOCore

/// Settings of the inbound gateway.
public struct IngestConfiguration: Sendable {
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    public var trustedProxies: [IPRange]
    /// The base URL providers call (scheme, host, port), for schemes that sign the URL (Twilio); `nil` = from the
    /// request's `Host`.
    public var publicURL: String?

    public init(trustedProxies: [IPRange] = [], publicURL: String? = nil) {
        self.trustedProxies = trustedProxies
        self.publicURL = publicURL
    }
}

/// `POST /webhook/{source}`: the receiving half of Hookbird.
///
/// For each request: an unknown source is 404; a body over the source's limit is 413 before it is read whole; a
/// remote address outside the source's `allowedIps` is 403; the signature is checked on the raw bytes with every
/// active secret (401 with the reason when it fails). The raw request is stored whatever the verdict, and an
/// accepted one becomes a message in the source's application in the same transaction, before the 2xx. A repeat
/// of an event id the source accepted before is answered 2xx, stored as a duplicate and not forwarded again.
public struct IngestController: Sendable {
    let store: any HookbirdStore
    let configuration: IngestConfiguration

    public init(store: any HookbirdStore, configuration: IngestConfiguration) {
        self.store = store
        self.configuration = configuration
    }

    public func addRoutes(to router: Router<HookbirdRequestContext>) {
        router.post("/webhook/:source", use: receive)
        // Some providers (Twilio status callbacks) may call with GET, the parameters in the query.
        router.get("/webhook/:source", use: receive)
    }

    /// Reads the request, decides what it comes to (``IngestVerdict``), records it once (refused ones too, a
    /// too-large one without its body) and answers.
    @Sendable func receive(_ request: Request, context: HookbirdRequestContext) async throws -> Response {
        let now = Timestamp.now
        guard let name = context.parameters.get("source"), let source = try await store.source(idOrUID: name) else {
            throw APIError.notFound("Unknown source")
        }
        var headers = request.headers.map { (name: $0.name.rawName, value: $0.value) }
        // swift-http-types keeps `Host` apart, as the authority; store it like any other header.
        if let authority = request.head.authority { headers.insert((name: "Host", value: authority), at: 0) }
        let remote = remoteAddress(request, context: context)
        let (body, tooLarge) = try await readBody(request, limit: source.maxBody)
        let inbound = InboundRequest(
            method: request.method.rawValue,
            url: url(of: request, context: context),
            headers: headers,
            body: body
        )
        var stored = StoredInboundRequest(
            id: .generate(at: now),
            sourceID: source.id,
            orgID: source.orgID,
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query,
            headers: InboundVerifiers.storedHeaders(headers, provider: source.settings.provider),
            body: body,
            remoteAddress: remote,
            receivedAt: now,
            outcome: .refused,
            reason: nil,
            eventID: nil,
            messageID: nil
        )
        let verdict = IngestVerdict.evaluate(
            source: source,
            request: inbound,
            bodyTooLarge: tooLarge,
            remoteAddress: remote,
            now: now
        )
        switch verdict {
        case .refused(let refusal):
            stored.reason = refusal.reason
            try await record(stored, message: nil, source: source)
            throw refusal.error
        case .handshake(let answer):
            stored.outcome = .handshake
            try await record(stored, message: nil, source: source)
            return JSONResponse.make(status: .ok, json: answer)
        case .accepted(let event):
            stored.outcome = .accepted
            stored.eventID = event.eventID
            let result = try await recordAccepted(stored, message: message(for: event, of: inbound, source, now), source)
            var answer: [String: JSONValue] = [
                "status": .string(result.outcome.rawValue), "id": .string(result.id.rawValue),
            ]
            answer["msgId"] = result.messageID.map { .string($0.rawValue) }
            return JSONResponse.make(status: .ok, json: .object(answer))
        }
    }

    /// The body, read up to `limit` bytes; a larger one (by its `Content-Length`, or as it arrives) is not read whole
    /// and comes back empty with `tooLarge`.
    func readBody(_ request: Request, limit: Int) async throws -> (body: [UInt8], tooLarge: Bool) {
        var request = request
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { return ([], true) }
        // The tuple is built after the do/catch: Swift 6.3.1 with -O can drop a store into a tuple returned from a
        // do whose catch returns one too (scripts/repro/async-tuple-store.swift, issue 21).
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            return ([], true)
        }
        return (Array(body.readableBytesView), false)
    }

    /// The message an accepted event becomes, in the source's application.
    func message(for event: InboundEvent, of request: InboundRequest, _ source: Source, _ now: Timestamp) -> Message {
        Message(
            id: .generate(at: now),
            appID: source.appID,
            orgID: source.orgID,
            eventType: event.eventType,
            eventID: event.eventID.flatMap(Self.messageEventID),
            channels: nil,
            payload: event.messagePayload(of: request),
            retentionDays: 90,
            createdAt: now
        )
    }

    /// Records an accepted request with its message; when the application already has a message with the event's id
    /// (from the API or another source), the request is kept as a duplicate instead.
    func recordAccepted(_ stored: StoredInboundRequest, message: Message, _ source: Source) async throws
        -> StoredInboundRequest
    {
        do {
            return try await record(stored, message: message, source: source)
        } catch let error as StorageError where error.isDuplicate {
            var duplicate = stored
            duplicate.outcome = .duplicate
            duplicate.reason = "the application already has a message with event id \(message.eventID ?? "")"
            return try await record(duplicate, message: nil, source: source)
        }
    }

    @discardableResult
    func record(_ request: StoredInboundRequest, message: Message?, source: Source) async throws -> StoredInboundRequest {
        let stored = try await store.recordInboundRequest(request, message: message)
        count(source, stored.outcome, reason: stored.outcome == .refused ? stored.reason : nil)
        return stored
    }

    func count(_ source: Source, _ outcome: InboundOutcome, reason: String?) {
        var dimensions = [("source", source.uid ?? source.id.rawValue), ("outcome", outcome.rawValue)]
        if let reason { dimensions.append(("reason", Self.reasonLabel(reason))) }
        Counter(label: "hookbird_inbound_requests_total", dimensions: dimensions).increment()
    }

    /// A bounded label for a refusal reason: its words without numbers or ids.
    static func reasonLabel(_ reason: String) -> String {
        String(reason.prefix(while: { !$0.isNumber && $0 != ":" && $0 != "'" }).trimmingCharacters(in: .whitespaces))
    }

    /// The provider's event id as a message event id, when it fits Svix's rules (otherwise the message has none;
    /// duplicates are still dropped by the source's own record).
    static func messageEventID(_ id: String) -> String? {
        do {
            try Validation.identifier(id, field: [], forbiddenPrefix: MessageID.prefix)
            return id
        } catch {
            return nil
        }
    }

    /// The peer, or behind a trusted proxy the first address of `X-Forwarded-For` it did not add itself.
    func remoteAddress(_ request: Request, context: HookbirdRequestContext) -> String? {
        guard let peer = context.remoteAddress else { return nil }
        guard isTrustedProxy(peer), let forwarded = request.headers[HTTPField.Name("x-forwarded-for")!] else {
            return peer
        }
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        // Walk back from the nearest hop while the hops are trusted proxies themselves.
        for hop in hops.reversed() where !isTrustedProxy(hop) { return hop }
        return hops.first ?? peer
    }

    /// Whether the peer is one of the `--trusted-proxy` ranges (no address is parsed when there are none).
    func isTrustedProxy(_ peer: String) -> Bool {
        guard !configuration.trustedProxies.isEmpty, let address = IPAddress(peer) else { return false }
        return configuration.trustedProxies.contains { $0.contains(address) }
    }

    /// The URL the provider called.
    func url(of request: Request, context: HookbirdRequestContext) -> String {
        if let publicURL = configuration.publicURL { return publicURL + request.uri.description }
        let trusted = context.remoteAddress.map(isTrustedProxy) ?? false
        let scheme = trusted ? (request.headers[HTTPField.Name("x-forwarded-proto")!] ?? "http") : "http"
        let host = request.head.authority ?? request.headers[HTTPField.Name("host")!] ?? "localhost"
        return "\(scheme)://\(host)\(request.uri.description)"
    }
}
