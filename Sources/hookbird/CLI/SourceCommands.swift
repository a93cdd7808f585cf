//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import HookbirdClient
import HookbirdCore
import NIOHTTP1

/// `hookbird source list|create|requests`.
struct SourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Inbound sources (/webhook/{source}): list, create, and the requests they received.",
        subcommands: [List.self, Create.self, Requests.self]
    )

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List inbound sources.")

        @OptionGroup var page: PageOptions
        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            output.list(
                try await api.call(.GET, APIClient.path("source"), query: page.query),
                Table(
                    .init("ID", "id", maxWidth: 31),
                    .init("NAME", "name", maxWidth: 30),
                    .init("PROVIDER", "provider", maxWidth: 20),
                    .init("APP", "appId", maxWidth: 31),
                    .init("INGEST URL", "ingestUrl", maxWidth: 60),
                    .time("CREATED", "createdAt")
                )
            )
        }
    }

    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an inbound source: a provider's webhooks, verified and turned into messages of an app."
        )

        @Argument(help: "Its name.")
        var name: String

        @Option(help: "How requests are verified: github, stripe, standard-webhooks, svix, hmac, … .")
        var provider: String

        @Option(help: "The application (app_… or uid) whose messages the requests become.")
        var app: String

        @Option(name: .customLong("secret"), help: "A verification secret; repeatable (during a rotation).")
        var secrets: [String] = []

        @Option(help: "Your own unique id for it; /webhook/{uid} then works too.")
        var uid: String?

        @Option(name: .customLong("option"), help: "A provider option name=value (e.g. header=X-Sig); repeatable.")
        var providerOptions: [KeyValue] = []

        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard !secrets.isEmpty else { throw ValidationError("give at least one --secret") }
        }

        func run(api: APIClient, output: Output) async throws {
            let body = jsonObject([
                "name": .string(name),
                "provider": .string(provider),
                "appId": .string(app),
                "secrets": .array(secrets.map(JSONValue.string)),
                "uid": uid.map(JSONValue.string),
                "options": providerOptions.isEmpty ? nil : KeyValue.object(providerOptions),
            ])
            output.object(try await api.call(.POST, APIClient.path("source"), body: body))
        }
    }

    struct Requests: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the requests a source received, newest first, with their verdicts."
        )

        @Argument(help: "The source's id (src_…) or uid.")
        var source: String

        @Option(help: "Only requests with this verdict: accepted, refused, duplicate or handshake.")
        var verdict: String?

        @Option(help: "Only requests received after this time.")
        var since: TimeArgument?

        @OptionGroup var page: PageOptions
        @OptionGroup var options: ClientOptions

        func run(api: APIClient, output: Output) async throws {
            let query =
                page.query + [("verdict", verdict), ("since", since?.timestamp.description)]
            output.list(
                try await api.call(.GET, APIClient.path("source", source, "request"), query: query),
                Table(
                    .init("ID", "id", maxWidth: 32),
                    .time("RECEIVED", "receivedAt"),
                    .init("VERDICT", "verdict", maxWidth: 10),
                    .init("REASON", "reason", maxWidth: 40),
                    .init("EVENT ID", "eventId", maxWidth: 24),
                    .init("MESSAGE", "msgId", maxWidth: 31)
                )
            )
        }
    }
}
