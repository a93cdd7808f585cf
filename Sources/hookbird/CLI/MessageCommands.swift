//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import HookbirdClient
import HookbirdCore
import NIOHTTP1
import UnixSignals

/// `hookbird message send|list|get`.
struct MessageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Messages of an application: send one or a file of them, list, get.",
        subcommands: [Send.self, List.self, Get.self]
    )

    struct Send: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a message, or every message of a JSON-lines file.",
            discussion: """
                One message: --event-type and --payload. Many: --file with one message per line, each a JSON \
                object as the API takes it \
                ({"eventType": …, "payload": {…}, "eventId"?: …, "channels"?: […]}); blank lines are skipped. \
                A progress bar is drawn on stderr when it is a terminal (or with --progress). With --json, each \
                stored message is printed as one line, in the file's order.

                Sending a file again is safe: a line whose eventId the application has already is reported as \
                already sent, and a line without one is sent with an Idempotency-Key made of the file's SHA-256 \
                and the line number, so the server answers it as before instead of storing it twice (same token \
                and same application argument; --no-idempotency-keys sends none). When lines fail or Ctrl-C stops \
                the send, the lines stored and those not are listed on stderr, and the exit code is 1 (130 after \
                Ctrl-C); it is 0 when every line is stored, now or before.
                """
        )

        @Argument(help: "The application's id (app_…) or uid.")
        var app: String

        @Option(help: "The event type, e.g. invoice.paid.")
        var eventType: String?

        @Option(help: "The payload: a JSON object, @path to read it from a file, or @- for standard input.")
        var payload: String?

        @Option(help: "Your id of the event, for deduplication.")
        var eventId: String?

        @Option(name: .customLong("channel"), help: "A channel of the message; repeatable.")
        var channels: [String] = []

        @Option(help: "A JSON-lines file of messages to send (- for standard input).")
        var file: String?

        @Option(help: "Messages sent at once from --file; above 1 their order is not kept.")
        var concurrency = 4

        @Flag(
            help: """
                With --file: send the lines without an eventId with no Idempotency-Key, so that sending the same \
                file again stores them again.
                """
        )
        var noIdempotencyKeys = false

        @OptionGroup var options: ClientOptions

        func validate() throws {
            if file != nil {
                guard eventType == nil, payload == nil, eventId == nil, channels.isEmpty else {
                    throw ValidationError("--file takes the messages from the file: no --event-type, --payload, …")
                }
                guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 64") }
            } else {
                guard eventType != nil, payload != nil else {
                    throw ValidationError("give --event-type and --payload, or --file")
                }
                guard !noIdempotencyKeys else { throw ValidationError("--no-idempotency-keys goes with --file") }
            }
        }

        func run(api: APIClient, output: Output) async throws {
            let path = APIClient.path("app", app, "msg")
            guard let file else {
                let payload = try readJSONArgument(payload ?? "", option: "--payload")
                let body = jsonObject([
                    "eventType": eventType.map(JSONValue.string),
                    "payload": payload,
                    "eventId": eventId.map(JSONValue.string),
                    "channels": channels.isEmpty ? nil : .array(channels.map(JSONValue.string)),
                ])
                output.object(try await api.call(.POST, path, body: body), pretty: ["payload"])
                return
            }
            let data: Data? =
                if file == "-" { FileHandle.standardInput.readDataToEndOfFile() } else {
                    FileManager.default.contents(atPath: file)
                }
            guard let data else { throw ValidationError("--file: cannot read \(file)") }
            let send: BulkSend
            do {
                send = try BulkSend(contents: Array(data), idempotencyKeys: !noIdempotencyKeys)
            } catch {
                throw ValidationError(error.description)
            }
            try await sendAll(send, to: path, api: api, output: output)
        }

        /// Sends the file's messages, `concurrency` at a time, drawing progress, until all are done or SIGINT or
        /// SIGTERM stops it; then prints what became of the lines.
        func sendAll(_ send: BulkSend, to path: String, api: APIClient, output: Output) async throws {
            let bar = ProgressBar(label: "send", total: send.lines.count, enabled: output.showsProgress)
            let concurrency = concurrency
            // The send races the signals; a signal cancels it, which cancels the requests in flight.
            let (outcomes, signalled) = await withTaskGroup(of: [BulkSend.Outcome?]?.self) { group in
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return nil }
                    return nil
                }
                group.addTask { await send.run(to: path, api: api, concurrency: concurrency, progress: bar) }
                var signalled = false
                var outcomes: [BulkSend.Outcome?] = []
                while let finished = await group.next() {
                    if let finished {
                        outcomes = finished
                        group.cancelAll()  // ends the wait for signals
                    } else if !group.isCancelled {
                        signalled = true
                        group.cancelAll()
                    }
                }
                return (outcomes, signalled)
            }

            let report = BulkSend.Report(lines: send.lines, outcomes: outcomes)
            if output.json {
                for outcome in outcomes {
                    switch outcome {
                    case .sent(let response)?, .alreadySent(let response)?: output.line(response.text)
                    default: break
                    }
                }
            } else {
                output.line(report.summary(app: app))
            }
            for line in report.details() { Output.error(line) }
            if signalled { throw ExitCode(130) }
            if !report.allStored { throw ExitCode.failure }
        }
    }

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List an application's messages, newest first.")

        @Argument(help: "The application's id (app_…) or uid.")
        var app: String

        @Option(name: .customLong("event-type"), help: "Only these event types; repeatable.")
        var eventTypes: [String] = []

        @Option(help: "Only messages created after this time: RFC 3339 or a time ago (30m, 1h, 2d).")
        var after: TimeArgument?

        @Option(help: "Only messages created before this time.")
        var before: TimeArgument?

        @OptionGroup var page: PageOptions
        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            let query =
                page.query + [
                    ("event_types", eventTypes.isEmpty ? nil : eventTypes.joined(separator: ",")),
                    ("after", after?.timestamp.description),
                    ("before", before?.timestamp.description),
                    ("with_content", output.json ? nil : "false"),
                ]
            output.list(
                try await api.call(.GET, APIClient.path("app", app, "msg"), query: query),
                Table(
                    .init("ID", "id", maxWidth: 31),
                    .init("EVENT TYPE", "eventType"),
                    .init("EVENT ID", "eventId", maxWidth: 30),
                    .init("CHANNELS", "channels", maxWidth: 30),
                    .time("TIME", "timestamp")
                )
            )
        }
    }

    struct Get: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a message with its payload.")

        @Argument(help: "The application's id (app_…) or uid.")
        var app: String

        @Argument(help: "The message's id (msg_…) or event id.")
        var message: String

        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            output.object(try await api.call(.GET, APIClient.path("app", app, "msg", message)), pretty: ["payload"])
        }
    }
}
