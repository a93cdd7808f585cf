//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The calls of `hookbird listen`'s protocol: register a stream endpoint, read its server-sent-events stream,
/// forward each webhook to a local URL and post the outcome back.
///
/// ```swift
/// let api = APIClient.withOwnConnections(baseURL: server, token: token)
/// let endpoint = try await api.registerListener(app: "my-app", ListenRegistration(uid: "listen-laptop"))
/// guard let stream = try await api.openStream(endpoint) else { return }   // nil: the endpoint is gone
/// for try await event in stream {
///     if case .webhook(let webhook) = event {
///         let result = await api.forward(webhook, to: "http://localhost:3000/hooks", timeout: .seconds(15))
///         try await api.postResult(result, endpoint: endpoint)
///     }
/// }
/// ```
extension APIClient {
    /// Most bytes of a local answer reported back (the server keeps as many of an attempt's response).
    public static let maxForwardedResponseBytes = 20_000

    /// Creates a stream endpoint of the application, or updates the one with the registration's `uid`
    /// (`POST /api/v1/app/{app}/listen`).
    /// - Parameters:
    ///   - app: The application (id or uid).
    ///   - registration: The endpoint's uid and filters.
    /// - Returns: The stream endpoint, with its signing secret and where to connect.
    /// - Throws: ``APIClientError`` for an answer that is not 2xx or a server that cannot be reached; a decoding
    ///   error for an answer that is not a registration.
    public func registerListener(app: String, _ registration: ListenRegistration) async throws -> ListenEndpoint {
        let body = [UInt8](try JSONEncoder().encode(registration))
        let response = try await perform(
            request(.POST, url: "\(baseURL)/api/v1/\(Self.path("app", app, "listen"))", body: body),
            timeout: timeout
        )
        return try JSONDecoder().decode(ListenEndpoint.self, from: Data(response.text.utf8))
    }

    /// Opens the stream endpoint's server-sent-events stream (``ListenEndpoint/streamUrl``); it stays open until the
    /// server ends it or the task is cancelled.
    /// - Returns: The stream's events, or `nil` when the endpoint no longer exists (it was deleted meanwhile:
    ///   register again).
    /// - Throws: ``APIClientError`` for any other answer that is not 2xx, or a server that cannot be reached.
    public func openStream(_ endpoint: ListenEndpoint) async throws -> ListenStream? {
        let request = request(.GET, url: baseURL + endpoint.streamUrl, accept: "text/event-stream")
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, deadline: .distantFuture)
        } catch {
            throw unreachable(error)
        }
        if response.status == .notFound { return nil }
        if !(200..<300).contains(response.status.code) {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw APIClientError(status: Int(response.status.code), body: String(buffer: body))
        }
        return ListenStream(body: response.body)
    }

    /// Reports the outcome of one webhook (``ListenEndpoint/resultUrl``).
    /// - Throws: ``APIClientError`` for an answer that is not 2xx (a 404 when nothing waits under the token any
    ///   more), or a server that cannot be reached.
    public func postResult(_ result: ListenResult, endpoint: ListenEndpoint) async throws {
        let body = [UInt8](try JSONEncoder().encode(result))
        _ = try await perform(request(.POST, url: baseURL + endpoint.resultUrl, body: body), timeout: .seconds(10))
    }

    /// POSTs a streamed webhook as it came (body and headers) to a local URL and reads its answer, keeping the first
    /// ``maxForwardedResponseBytes`` of the body.
    /// - Parameters:
    ///   - webhook: The webhook, from the stream.
    ///   - url: The local URL.
    ///   - timeout: How long the local URL may take to answer (whole seconds).
    /// - Returns: The result to report: the local status, body and `Retry-After`, or the error when there was no
    ///   answer.
    public func forward(_ webhook: StreamedWebhook, to url: String, timeout: Duration) async -> ListenResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for pair in webhook.headers where pair.count == 2 { request.headers.add(name: pair[0], value: pair[1]) }
        request.body = .bytes(ByteBuffer(string: webhook.body))
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(timeout.components.seconds))
            var kept: [UInt8] = []
            for try await chunk in response.body {
                kept += chunk.readableBytesView.prefix(Self.maxForwardedResponseBytes - kept.count)
                if kept.count >= Self.maxForwardedResponseBytes { break }
            }
            return ListenResult(
                token: webhook.token,
                status: Int(response.status.code),
                body: String(decoding: kept, as: UTF8.self),
                retryAfter: response.headers.first(name: "retry-after")
            )
        } catch {
            return ListenResult(token: webhook.token, error: "\(error)")
        }
    }
}

/// The body of a listen registration.
public struct ListenRegistration: Encodable, Sendable {
    /// Names the stream endpoint, so that a restarted listener gets what waited for it.
    public var uid: String
    /// Event types forwarded; `nil`: all.
    public var eventTypes: [String]?
    /// Channels forwarded; `nil`: all.
    public var channels: [String]?

    public init(uid: String, eventTypes: [String]? = nil, channels: [String]? = nil) {
        self.uid = uid
        self.eventTypes = eventTypes
        self.channels = channels
    }
}

/// The server's answer to a listen registration.
public struct ListenEndpoint: Decodable, Sendable {
    /// The stream endpoint's id.
    public var endpointId: String
    /// Its uid, if any.
    public var uid: String?
    /// The secret its webhooks are signed with (the public key of an ed25519 endpoint).
    public var secret: String
    /// The server-sent-events stream: a path under the server's base URL.
    public var streamUrl: String
    /// Where results are posted: a path under the server's base URL.
    public var resultUrl: String
}

/// A `webhook` event of the stream: a signed request to forward as it is.
public struct StreamedWebhook: Decodable, Sendable {
    /// Echoed in the result.
    public var token: String
    /// The message's id.
    public var msgId: String?
    /// The message's event type.
    public var eventType: String?
    /// `[name, value]` pairs in order (signature headers included).
    public var headers: [[String]]
    /// The payload (JSON text).
    public var body: String
}

/// The `ready` event that opens the stream.
public struct StreamReady: Decodable, Sendable {
    /// The stream endpoint's id.
    public var endpointId: String
    /// Deliveries that waited for a retry and were made due at once on connecting.
    public var expedited: Int
}

/// The body of a result report: the local receiver's `status` (and `body`, `retryAfter`), or an `error` when it
/// could not be reached.
public struct ListenResult: Encodable, Sendable {
    /// The webhook's token, from the stream.
    public var token: String
    public var status: Int?
    public var body: String?
    public var retryAfter: String?
    public var error: String?

    public init(token: String, status: Int? = nil, body: String? = nil, retryAfter: String? = nil, error: String? = nil) {
        self.token = token
        self.status = status
        self.body = body
        self.retryAfter = retryAfter
        self.error = error
    }
}

/// The events of a stream endpoint's server-sent-events stream, read once, in order (from
/// ``APIClient/openStream(_:)``). Events of other names are skipped; heartbeats are comment lines and are not
/// events. Ends when the server closes the stream; throws when the connection fails.
public struct ListenStream: AsyncSequence, Sendable {
    /// One event of the stream.
    public enum Event: Sendable {
        /// `ready`: the stream is open; `nil` when its data cannot be read.
        case ready(StreamReady?)
        /// `webhook`: a webhook to forward.
        case webhook(StreamedWebhook)
        /// `replaced`: another listener took the endpoint over (same uid); this stream ends.
        case replaced
        /// A `webhook` event whose data cannot be read.
        case unreadable(ServerSentEventParser.Event)

        /// The event a server-sent event is, or `nil` for a name this protocol does not know.
        public init?(_ event: ServerSentEventParser.Event) {
            switch event.name {
            case "ready":
                self = .ready(try? JSONDecoder().decode(StreamReady.self, from: Data(event.data.utf8)))
            case "replaced":
                self = .replaced
            case "webhook":
                if let webhook = try? JSONDecoder().decode(StreamedWebhook.self, from: Data(event.data.utf8)) {
                    self = .webhook(webhook)
                } else {
                    self = .unreadable(event)
                }
            default:
                return nil
            }
        }
    }

    let body: HTTPClientResponse.Body

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: body.makeAsyncIterator())
    }

    /// Reads chunks of the response and parses them.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPClientResponse.Body.AsyncIterator
        var parser = ServerSentEventParser()
        var parsed: [ServerSentEventParser.Event] = []

        public mutating func next() async throws -> Event? {
            while true {
                if !parsed.isEmpty {
                    if let event = Event(parsed.removeFirst()) { return event }
                    continue
                }
                guard let chunk = try await chunks.next() else { return nil }
                parsed = parser.feed(chunk.readableBytesView)
            }
        }
    }
}
