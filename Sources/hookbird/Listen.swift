//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import HookbirdClient
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

        // One connection pool for the server and the local URL, which follows no redirects and reports a refused
        // connection at once.
        let api = APIClient.withOwnConnections(baseURL: server, token: token, connectTimeout: .seconds(5))
        let listener = Listener(
            api: api,
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
        try? await api.shutdown()
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

/// A webhook of the stream on its way to the local URL.
struct Forwarding: Sendable {
    var webhook: StreamedWebhook
    var endpoint: ListenEndpoint
}

/// The server refused a call for good (bad token, unknown application, invalid filter).
struct ListenError: Error, CustomStringConvertible {
    var description: String
}

/// The connection loop of `hookbird listen`.
struct Listener: Sendable {
    let api: APIClient
    let app: String
    let registration: ListenRegistration
    let forwardTo: String
    let forwardTimeout: Duration

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
        try await Self.check(doing: "registering") { try await api.registerListener(app: app, registration) }
    }

    /// Reads the stream until it ends, handing each webhook to `forwarding` (where each is forwarded in a task of its
    /// own, so a slow local answer does not hold the others back).
    func stream(
        _ endpoint: ListenEndpoint,
        forwarding: AsyncStream<Forwarding>.Continuation,
        onReady: () -> Void
    ) async throws -> StreamEnd {
        guard let stream = try await Self.check(doing: "connecting", { try await api.openStream(endpoint) }) else {
            return .gone
        }
        for try await event in stream {
            switch event {
            case .ready(let ready):
                let waiting = ready.map { $0.expedited > 0 ? " (\($0.expedited) waiting, sent now)" : "" } ?? ""
                Self.say("connected\(waiting)")
                onReady()
            case .replaced:
                throw ListenError(
                    description: "another `hookbird listen` took over stream endpoint \(endpoint.endpointId) "
                        + "(same --name); give each listener its own --name"
                )
            case .webhook(let webhook):
                forwarding.yield(Forwarding(webhook: webhook, endpoint: endpoint))
            case .unreadable:
                Self.say("ignored an unreadable event from the server")
            }
        }
        return .closed
    }

    /// Forwards one webhook to the local URL, reports the answer and prints the line.
    func forward(_ webhook: StreamedWebhook, endpoint: ListenEndpoint) async {
        let started = ContinuousClock.now
        let result = await api.forward(webhook, to: forwardTo, timeout: forwardTimeout)
        var shown = result.status.map { "\($0)" } ?? "error: \(result.error ?? "")"
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        do {
            try await api.postResult(result, endpoint: endpoint)
        } catch {
            shown += " (not recorded: \(error))"
        }
        Self.say(
            "\(Self.clock())  \(webhook.eventType ?? "-")  \(webhook.msgId ?? "-")  -> \(shown) (\(milliseconds) ms)"
        )
    }

    // MARK: - Helpers

    /// Runs a call of the server; an error answer becomes ``ListenError`` when retrying cannot help
    /// (``APIClientError/isPermanent``), ``ListenError/Transient`` otherwise. An unreachable server is thrown as it is.
    static func check<T>(doing: String, _ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as APIClientError where error.status != nil {
            let text = "\(doing) failed: \(error)"
            if error.isPermanent { throw ListenError(description: text) }
            throw ListenError.Transient(description: text)
        }
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
