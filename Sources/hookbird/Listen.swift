//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import UnixSignals

/// `hookbird listen`: receives an application's webhooks on a machine with no public URL and forwards them to a
/// local one.
///
/// It registers a stream endpoint of the application (`POST /api/v1/app/{app}/listen`, by uid, so a restarted
/// listener gets what waited for it), keeps its server-sent-events stream open, forwards each webhook as it came
/// (body and Standard Webhooks headers) to `--forward-to`, reports the local answer back as the attempt's outcome,
/// and reconnects with backoff when the stream drops. While it is away, messages wait and are retried as for any
/// endpoint that is down; reconnecting sends them at once.
struct Listen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward an application's webhooks to a local URL, through the Hookbird server alone.",
        discussion: """
            Prints one line per webhook: time, event type, message id, and the local status with its duration. \
            Ctrl-C or SIGTERM stop it; messages sent meanwhile wait on the server and arrive when it listens again \
            under the same --name.

              hookbird listen --app my-app --forward-to http://localhost:3000/hooks --event-types order.created
            """
    )

    @Option(help: "The application (id or uid).")
    var app: String

    @Option(help: "The local URL each webhook is POSTed to.")
    var forwardTo: String

    @Option(parsing: .upToNextOption, help: "Only these event types (space- or comma-separated). (default: all)")
    var eventTypes: [String] = []

    @Option(parsing: .upToNextOption, help: "Only messages in these channels. (default: all)")
    var channels: [String] = []

    @Option(help: "The stream endpoint's uid: the same name reattaches to what waited. (default: listen-<hostname>)")
    var name: String?

    @Option(help: "The Hookbird server. [env: HOOKBIRD_URL] (default: http://127.0.0.1:8071)")
    var url: String?

    @Option(help: "An API token for the application (an organisation or app-scoped token). [env: HOOKBIRD_TOKEN]")
    var token: String?

    @Option(help: "How long the local URL may take to answer, in seconds.")
    var forwardTimeout: Int = 15

    func run() async throws {
        guard let token = Env.value(token, "TOKEN") else {
            throw ValidationError("an API token is required: --token or HOOKBIRD_TOKEN")
        }
        var server = Env.value(url, "URL") ?? "http://127.0.0.1:8071"
        while server.hasSuffix("/") { server.removeLast() }
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ValidationError("--url must start with http:// or https://")
        }
        guard forwardTo.hasPrefix("http://") || forwardTo.hasPrefix("https://") else {
            throw ValidationError("--forward-to must be an http:// or https:// URL")
        }
        let uid = name ?? Self.defaultName()
        let split = { (values: [String]) -> [String]? in
            let names = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            return names.isEmpty ? nil : names
        }

        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // A local URL that refuses connections is reported at once, not retried until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let listener = Listener(
            client: client,
            server: server,
            token: token,
            app: app,
            registration: ListenRegistration(uid: uid, eventTypes: split(eventTypes), channels: split(channels)),
            forwardTo: forwardTo,
            forwardTimeout: .seconds(Int64(max(1, forwardTimeout)))
        )
        // Webhooks go from the stream to the forwarder through `work`. A stop signal ends the stream only; the
        // forwarder then finishes what is in flight, so nothing forwarded goes unreported (and is sent again).
        let (work, queue) = AsyncStream.makeStream(of: Forwarding.self)
        let outcome: Result<Void, any Error>
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    await withDiscardingTaskGroup { forwards in
                        for await item in work {
                            forwards.addTask { await listener.forward(item.webhook, endpoint: item.endpoint) }
                        }
                    }
                }
                defer { queue.finish() }
                try await withThrowingTaskGroup(of: Void.self) { receiving in
                    receiving.addTask {
                        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
                    }
                    receiving.addTask { try await listener.run(forwarding: queue) }
                    try await receiving.next()
                    receiving.cancelAll()
                }
            }
            Listener.say("stopped")
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try? await client.shutdown()
        try outcome.get()
    }

    /// `listen-<hostname>`, with every character a uid may not hold (outside `[a-zA-Z0-9-_.]`) as `-`.
    static func defaultName() -> String {
        let host = ProcessInfo.processInfo.hostName.lowercased().map { character -> Character in
            character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == ".")
                ? character : "-"
        }
        return "listen-" + String(host.prefix(200))
    }
}

/// The body of the registration request.
struct ListenRegistration: Encodable, Sendable {
    var uid: String
    var eventTypes: [String]?
    var channels: [String]?
}

/// The server's answer to a registration.
struct ListenEndpoint: Decodable, Sendable {
    var endpointId: String
    var uid: String?
    var secret: String
    var streamUrl: String
    var resultUrl: String
}

/// A `webhook` event of the stream.
struct StreamedWebhook: Decodable, Sendable {
    var token: String
    var msgId: String?
    var eventType: String?
    var headers: [[String]]
    var body: String
}

/// A webhook of the stream on its way to the local URL.
struct Forwarding: Sendable {
    var webhook: StreamedWebhook
    var endpoint: ListenEndpoint
}

/// The `ready` event that opens the stream.
struct StreamReady: Decodable, Sendable {
    var endpointId: String
    var expedited: Int
}

/// The server refused a call for good (bad token, unknown application, invalid filter).
struct ListenError: Error, CustomStringConvertible {
    var description: String
}

/// The connection loop of `hookbird listen`.
struct Listener: Sendable {
    let client: HTTPClient
    let server: String
    let token: String
    let app: String
    let registration: ListenRegistration
    let forwardTo: String
    let forwardTimeout: Duration
    /// Most bytes of a local answer reported back (the server keeps as many of an attempt's response).
    static let maxResponseBytes = 20_000

    /// Registers, then streams until cancelled, reconnecting after 1, 2, 4 … 30 s when the stream drops or the
    /// server cannot be reached.
    /// - Parameter forwarding: Where each webhook of the stream goes, to be forwarded (``forward(_:endpoint:)``).
    /// - Throws: ``ListenError`` when the server refuses for good (4xx other than 408/429).
    func run(forwarding: AsyncStream<Forwarding>.Continuation) async throws {
        var endpoint: ListenEndpoint?
        var backoff: Duration = .seconds(1)
        while !Task.isCancelled {
            do {
                if endpoint == nil {
                    let registered = try await register()
                    Self.say(
                        "listening for \(app) as stream endpoint \(registered.endpointId) (\(registered.uid ?? "no uid")); "
                            + "forwarding to \(forwardTo); signing secret \(registered.secret)"
                    )
                    endpoint = registered
                }
                guard let current = endpoint else { continue }
                if try await stream(current, forwarding: forwarding, onReady: { backoff = .seconds(1) }) == .gone {
                    endpoint = nil  // deleted on the server meanwhile: register again
                    continue
                }
                Self.say("stream closed by the server; reconnecting in \(Self.seconds(backoff))")
            } catch let error as ListenError {
                throw error
            } catch {
                if Task.isCancelled { return }
                Self.say("disconnected (\(error)); reconnecting in \(Self.seconds(backoff))")
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    enum StreamEnd { case closed, gone }

    // MARK: - Server calls

    func register() async throws -> ListenEndpoint {
        var request = apiRequest(path: "/api/v1/app/\(app)/listen", method: .POST)
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(registration)))
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        try Self.check(response.status, body: body, doing: "registering")
        return try JSONDecoder().decode(ListenEndpoint.self, from: Data(body.readableBytesView))
    }

    /// Reads the stream until it ends, handing each webhook to `forwarding` (where each is forwarded in a task of its
    /// own, so a slow local answer does not hold the others back).
    func stream(
        _ endpoint: ListenEndpoint,
        forwarding: AsyncStream<Forwarding>.Continuation,
        onReady: () -> Void
    ) async throws -> StreamEnd {
        var request = apiRequest(path: endpoint.streamUrl, method: .GET)
        request.headers.add(name: "accept", value: "text/event-stream")
        let response = try await client.execute(request, deadline: .distantFuture)
        if response.status == .notFound { return .gone }
        if response.status != .ok {
            try Self.check(response.status, body: try await response.body.collect(upTo: 1 << 20), doing: "connecting")
        }
        var parser = ServerSentEventParser()
        for try await chunk in response.body {
            for event in parser.feed(chunk.readableBytesView) {
                switch event.name {
                case "ready":
                    let ready = try? JSONDecoder().decode(StreamReady.self, from: Data(event.data.utf8))
                    let waiting = ready.map { $0.expedited > 0 ? " (\($0.expedited) waiting, sent now)" : "" } ?? ""
                    Self.say("connected\(waiting)")
                    onReady()
                case "replaced":
                    throw ListenError(
                        description: "another `hookbird listen` took over stream endpoint \(endpoint.endpointId) "
                            + "(same --name); give each listener its own --name"
                    )
                case "webhook":
                    guard let webhook = try? JSONDecoder().decode(StreamedWebhook.self, from: Data(event.data.utf8))
                    else {
                        Self.say("ignored an unreadable event from the server")
                        continue
                    }
                    forwarding.yield(Forwarding(webhook: webhook, endpoint: endpoint))
                default:
                    continue
                }
            }
        }
        return .closed
    }

    /// Forwards one webhook to the local URL, reports the answer and prints the line.
    func forward(_ webhook: StreamedWebhook, endpoint: ListenEndpoint) async {
        var request = HTTPClientRequest(url: forwardTo)
        request.method = .POST
        for pair in webhook.headers where pair.count == 2 { request.headers.add(name: pair[0], value: pair[1]) }
        request.body = .bytes(ByteBuffer(string: webhook.body))
        let started = ContinuousClock.now
        let result: ListenResult
        var shown: String
        do {
            let response = try await client.execute(request, timeout: .seconds(forwardTimeout.components.seconds))
            var kept: [UInt8] = []
            for try await chunk in response.body {
                kept += chunk.readableBytesView.prefix(Self.maxResponseBytes - kept.count)
                if kept.count >= Self.maxResponseBytes { break }
            }
            result = ListenResult(
                token: webhook.token,
                status: Int(response.status.code),
                body: String(decoding: kept, as: UTF8.self),
                retryAfter: response.headers.first(name: "retry-after")
            )
            shown = "\(response.status.code)"
        } catch {
            result = ListenResult(token: webhook.token, error: "\(error)")
            shown = "error: \(error)"
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        do {
            var report = apiRequest(path: endpoint.resultUrl, method: .POST)
            report.headers.add(name: "content-type", value: "application/json")
            report.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(result)))
            let response = try await client.execute(report, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            if response.status != .noContent {
                shown += " (not recorded: \(Self.describe(response.status, body: body)))"
            }
        } catch {
            shown += " (not recorded: \(error))"
        }
        Self.say(
            "\(Self.clock())  \(webhook.eventType ?? "-")  \(webhook.msgId ?? "-")  -> \(shown) (\(milliseconds) ms)"
        )
    }

    // MARK: - Helpers

    func apiRequest(path: String, method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        return request
    }

    /// Throws for an error answer: ``ListenError`` when retrying cannot help, a plain error otherwise.
    static func check(_ status: HTTPResponseStatus, body: ByteBuffer, doing: String) throws {
        guard !(200..<300).contains(status.code) else { return }
        let text = "\(doing) failed: \(describe(status, body: body))"
        if (400..<500).contains(status.code), status != .requestTimeout, status != .tooManyRequests {
            throw ListenError(description: text)
        }
        throw ListenError.Transient(description: text)
    }

    /// `status: code: detail` from the server's JSON error, or the status alone.
    static func describe(_ status: HTTPResponseStatus, body: ByteBuffer) -> String {
        struct ErrorBody: Decodable {
            var code: String
            var detail: String
        }
        if let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)) {
            return "\(status.code) \(error.code): \(error.detail)"
        }
        return "\(status.code) \(status.reasonPhrase)"
    }

    static func seconds(_ duration: Duration) -> String { "\(duration.components.seconds) s" }

    static func clock() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
    }

    /// Prints a line at once, also into a pipe (where `print` would buffer it).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

extension ListenError {
    /// A refusal worth retrying (5xx, 408, 429).
    struct Transient: Error, CustomStringConvertible {
        var description: String
    }
}

/// The body of a result report.
struct ListenResult: Encodable, Sendable {
    var token: String
    var status: Int?
    var body: String?
    var retryAfter: String?
    var error: String?
}

/// Splits a `text/event-stream` into events (the WHATWG rules Hookbird's server needs: `event:` and `data:`
/// fields, comment lines, LF or CRLF line ends).
struct ServerSentEventParser {
    struct Event {
        var name: String
        var data: String
    }

    private var pending: [UInt8] = []
    private var name = ""
    private var data: [String] = []

    /// Adds bytes; returns the events they complete.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            pending.removeSubrange(...newline)
            if text.isEmpty {
                if !data.isEmpty { events.append(Event(name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))) }
                name = ""
                data = []
                continue
            }
            if text.hasPrefix(":") { continue }
            let field: Substring
            var value: Substring
            if let colon = text.firstIndex(of: ":") {
                field = text[..<colon]
                value = text[text.index(after: colon)...]
                if value.hasPrefix(" ") { value = value.dropFirst() }
            } else {
                field = text[...]
                value = ""
            }
            switch field {
            case "event": name = String(value)
            case "data": data.append(String(value))
            default: break
            }
        }
        return events
    }
}
