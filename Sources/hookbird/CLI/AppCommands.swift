//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import HookbirdClient
import HookbirdCore
import NIOHTTP1

/// `hookbird app list|create|get|delete`.
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Applications: list, create, get, delete.",
        subcommands: [List.self, Create.self, Get.self, Delete.self]
    )

    static let table = Table(
        .init("ID", "id", maxWidth: 31),
        .init("UID", "uid", maxWidth: 24),
        .init("NAME", "name"),
        .time("CREATED", "createdAt")
    )

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List applications.")

        @OptionGroup var page: PageOptions
        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            output.list(try await api.call(.GET, APIClient.path("app"), query: page.query), AppCommand.table)
        }
    }

    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Create an application.")

        @Argument(help: "Its name.")
        var name: String

        @Option(help: "Your own unique id for it, usable wherever its app_… id is.")
        var uid: String?

        @Option(name: .customLong("metadata"), help: "A metadata entry name=value; repeatable.")
        var metadata: [KeyValue] = []

        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            let body = jsonObject([
                "name": .string(name),
                "uid": uid.map(JSONValue.string),
                "metadata": metadata.isEmpty ? nil : KeyValue.object(metadata),
            ])
            output.object(try await api.call(.POST, APIClient.path("app"), body: body))
        }
    }

    struct Get: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show an application.")

        @Argument(help: "Its id (app_…) or uid.")
        var app: String

        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            output.object(try await api.call(.GET, APIClient.path("app", app)))
        }
    }

    struct Delete: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an application with its endpoints and messages."
        )

        @Argument(help: "Its id (app_…) or uid.")
        var app: String

        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            _ = try await api.call(.DELETE, APIClient.path("app", app))
            if !output.json { output.line("deleted application \(app)") }
        }
    }
}
