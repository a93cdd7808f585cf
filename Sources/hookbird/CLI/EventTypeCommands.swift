//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import HookbirdClient
import HookbirdCore
import NIOHTTP1

/// `hookbird event-type list|create`.
struct EventTypeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event-type",
        abstract: "Event types: list, create.",
        subcommands: [List.self, Create.self]
    )

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List event types.")

        @Flag(help: "Include archived event types.")
        var includeArchived = false

        @OptionGroup var page: PageOptions
        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            let response = try await api.call(
                .GET,
                APIClient.path("event-type"),
                query: page.query + [("include_archived", includeArchived ? "true" : nil)]
            )
            output.list(
                response,
                Table(
                    .init("NAME", "name"),
                    .init("DESCRIPTION", "description", maxWidth: 50),
                    .init("ARCHIVED", "archived"),
                    .time("CREATED", "createdAt")
                )
            )
        }
    }

    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create an event type.")

        @Argument(help: "Its name, e.g. invoice.paid.")
        var name: String

        @Option(help: "What it means.")
        var description = ""

        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            let body = jsonObject(["name": .string(name), "description": .string(description)])
            output.object(try await api.call(.POST, APIClient.path("event-type"), body: body))
        }
    }
}
