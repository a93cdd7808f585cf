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
                sent message is printed as one line, in the file's order.
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
            try await sendAll(try Self.readMessages(file), to: path, api: api, output: output)
        }

        /// The messages of a JSON-lines file, each with its line number.
        static func readMessages(_ file: String) throws -> [(line: Int, body: JSONValue)] {
            let data: Data? =
                if file == "-" { FileHandle.standardInput.readDataToEndOfFile() } else {
                    FileManager.default.contents(atPath: file)
                }
            guard let data else { throw ValidationError("--file: cannot read \(file)") }
            var messages: [(line: Int, body: JSONValue)] = []
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() {
                guard !line.allSatisfy(\.isWhitespace) else { continue }
                guard let value = JSONValue.parse(String(line)), value.isObject else {
                    throw ValidationError("--file: line \(index + 1) is not a JSON object")
                }
                messages.append((index + 1, value))
            }
            return messages
        }

        /// Sends the messages, `concurrency` at a time, drawing progress; prints each failure with its line.
        func sendAll(
            _ messages: [(line: Int, body: JSONValue)],
            to path: String,
            api: APIClient,
            output: Output
        ) async throws {
            var bar = ProgressBar(label: "send", total: messages.count, enabled: output.showsProgress)
            var results = [Result<APIClient.Response, APIClientError>?](repeating: nil, count: messages.count)
            try await withThrowingTaskGroup(of: (Int, Result<APIClient.Response, APIClientError>).self) { group in
                var next = 0
                func addNext() {
                    guard next < messages.count else { return }
                    let index = next
                    let body = messages[index].body
                    group.addTask {
                        // The tuple is made after the `do`, not as `return (index, .success(try await …))` inside
                        // it: with -O, Swift 6.3 drops the store of `index` into a task's result when it comes
                        // before an `await` in a `do` whose `catch` stores it too (LLVM's dead store elimination
                        // on the not yet split coroutine), so every result came back with whatever the memory
                        // held: index 0, or garbage that trapped on `results[index]` (issue 21).
                        let result: Result<APIClient.Response, APIClientError>
                        do {
                            result = .success(try await api.call(.POST, path, body: body))
                        } catch let error as APIClientError {
                            result = .failure(error)
                        }
                        return (index, result)
                    }
                    next += 1
                }
                for _ in 0..<concurrency { addNext() }
                var done = 0
                while case let (index, result)? = try await group.next() {
                    results[index] = result
                    done += 1
                    bar.update(done)
                    addNext()
                }
            }
            bar.finish(messages.count)

            var sent = 0
            var failed = 0
            for (index, result) in results.enumerated() {
                switch result {
                case .success(let response)?:
                    sent += 1
                    if output.json { output.line(response.text) }
                case .failure(let error)?:
                    failed += 1
                    Output.error("error: line \(messages[index].line): \(error)")
                case nil:
                    // No answer was recorded for the line: it is not known to be sent.
                    failed += 1
                    Output.error("error: line \(messages[index].line): no answer recorded")
                }
            }
            if !output.json {
                output.line("sent \(sent) of \(messages.count) message(s) to \(app)")
            }
            if failed > 0 { throw ExitCode.failure }
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
