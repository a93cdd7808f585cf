//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import HookbirdClient
import HookbirdCore
import NIOHTTP1

/// `hookbird attempt list`.
struct AttemptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attempt",
        abstract: "Delivery attempts of an application's messages.",
        subcommands: [List.self]
    )

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the attempts of a message (--msg) or to an endpoint (--endpoint), newest first."
        )

        @Argument(help: "The application's id (app_…) or uid.")
        var app: String

        @Option(help: "A message's id (msg_…) or event id.")
        var msg: String?

        @Option(help: "An endpoint's id (ep_…) or uid.")
        var endpoint: String?

        @Option(help: "Only attempts with this status: success, pending, fail, sending or canceled.")
        var status: String?

        @OptionGroup var page: PageOptions
        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard (msg == nil) != (endpoint == nil) else { throw ValidationError("give one of --msg and --endpoint") }
            if let status, !MessageStatus.allCases.contains(where: { $0.text == status }) {
                throw ValidationError("--status must be success, pending, fail, sending or canceled")
            }
        }

        func run(api: APIClient, output: Output) async throws {
            let path =
                if let msg { APIClient.path("app", app, "attempt", "msg", msg) } else {
                    APIClient.path("app", app, "attempt", "endpoint", endpoint ?? "")
                }
            let code = MessageStatus.allCases.first { $0.text == status }.map { String($0.rawValue) }
            let query = page.query + [("status", code), ("with_content", output.json ? nil : "false")]
            output.list(
                try await api.call(.GET, path, query: query),
                Table(
                    .init("ID", "id", maxWidth: 32),
                    .init("MESSAGE", "msgId", maxWidth: 31),
                    .init("ENDPOINT", "endpointId", maxWidth: 30),
                    .init("STATUS", "statusText", maxWidth: 8),
                    .init("CODE", "responseStatusCode", maxWidth: 4),
                    .init("MS", "responseDurationMs", maxWidth: 7),
                    .init("TRIGGER", maxWidth: 9) { $0[member: "triggerType"] == .int(1) ? "manual" : "scheduled" },
                    .time("TIME", "timestamp")
                )
            )
        }
    }
}
