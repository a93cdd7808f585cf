//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Configuration
import Foundation
import HookbirdCore
import HookbirdServer
import Logging

@main
struct Hookbird: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookbird",
        abstract: "A self-hosted webhooks server: Svix-compatible API, embedded SQLite, one binary.",
        discussion: """
            Every option of `serve` can also be set with an environment variable HOOKBIRD_<NAME>, e.g. \
            HOOKBIRD_ADMIN_TOKEN or HOOKBIRD_PORT, or as a key of a YAML or JSON file given with --config \
            (admin-token, port); a flag on the command line wins over the environment, which wins over the file. \
            A bad value in the environment or the file, or a key of the file that is no setting, ends the start \
            with exit code 78; a bad flag with exit code 64.

            The nouns app, event-type, endpoint, message, attempt and source talk to a running server over its \
            API: give it with --url and --token, or HOOKBIRD_URL and HOOKBIRD_TOKEN. They print tables, or the \
            server's JSON with --json; a failed call prints the server's code and detail and exits with 1.
            """,
        version: "0.1.0",
        subcommands: [
            Serve.self, Migrate.self, Token.self, AppCommand.self, EventTypeCommand.self, EndpointCommand.self,
            MessageCommand.self, AttemptCommand.self, SourceCommand.self, Listen.self, Apply.self, Export.self,
            ConfigReference.self,
        ],
        defaultSubcommand: nil
    )
}

/// Options shared by the commands that open the database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "A YAML (.yaml, .yml) or JSON (.json) file of settings: one key per option of `serve`, named as the option without its dashes (port: 8071, admin-token: …). Flags and HOOKBIRD_* variables win over it; an unknown key or a bad value ends the start with exit code 78. [env: HOOKBIRD_CONFIG]")
    var config: String?

    @Option(help: "Database: sqlite:PATH (relative to the working directory or absolute) or postgres://user:password@host:port/database[?sslmode=disable|require|verify-full]. [env: HOOKBIRD_DATABASE] (default: sqlite:hookbird.sqlite)")
    var database: String?

    @Option(help: "SQLite durability: full (fsync on every commit, survives power loss) or normal (survives a crash of the process; the last commits may be lost on power loss). [env: HOOKBIRD_DURABILITY] (default: full)")
    var durability: String?

    @Option(help: "PostgreSQL: connections in this node's pool (one more is taken for LISTEN). Size it to the requests the node runs at once against the database: the API's concurrent requests plus a few for the delivery engine's claims and records; PostgreSQL's max_connections must cover every node's pool. [env: HOOKBIRD_DATABASE_POOL] (default: 10)")
    var databasePool: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. [env: HOOKBIRD_LOG_LEVEL] (default: info)")
    var logLevel: String?

    @Option(help: "Encrypt the secrets kept in the database (endpoint signing secrets, sources' provider secrets, the generated JWT secret) with a key derived from this one, at least 32 bytes (e.g. `openssl rand -base64 32`). Given once, it is needed from then on: a database whose secrets are encrypted does not open without it or with another one. [env: HOOKBIRD_SECRETS_KEY] (default: secrets stored in plaintext)")
    var secretsKey: String?

    @Option(help: "To change the --secrets-key: the key the database's secrets are encrypted with now. The first start with both encrypts them all again with --secrets-key; from then on --secrets-key alone opens them. [env: HOOKBIRD_PREVIOUS_SECRETS_KEY]")
    var previousSecretsKey: String?

    /// The options given on the command line, by setting.
    var given: [ServeSetting: String] {
        [
            .config: config, .database: database, .durability: durability, .databasePool: databasePool.map(String.init),
            .logLevel: logLevel, .secretsKey: secretsKey, .previousSecretsKey: previousSecretsKey,
        ].compactMapValues { $0 }
    }

    func apply(to configuration: inout ServerConfiguration, from settings: SettingSources) throws {
        configuration.database =
            try settings.parse(.database, "must be sqlite:PATH or postgres://…") { try DatabaseLocation(parsing: $0) }
            ?? .sqlite(path: "hookbird.sqlite")
        if let durability = try settings.parse(.durability, "must be full or normal", ServerConfiguration.durability) {
            configuration.durability = durability
        }
        if let pool = try settings.integer(.databasePool, in: 1...1000) {
            configuration.databasePool = pool
        }
        if let level = try settings.parse(
            .logLevel,
            "must be one of trace, debug, info, notice, warning, error, critical",
            Logger.Level.init(rawValue:)
        ) {
            configuration.logLevel = level
        }
        let previous = try settings.value(.previousSecretsKey)
        if let key = try settings.value(.secretsKey) {
            do {
                try configuration.sealSecrets(with: key.text, previousKeys: previous.map { [$0.text] } ?? [])
            } catch {
                throw SettingSources.error(.secretsKey, key, "\(error)")
            }
        } else if let previous {
            throw SettingSources.error(
                .previousSecretsKey,
                previous,
                "--previous-secrets-key needs the new key as --secrets-key"
            )
        }
    }
}

/// Reads `HOOKBIRD_<NAME>` when an option is not given on the command line.
enum Env {
    static func value(_ flag: String?, _ name: String) -> String? {
        if let flag { return flag }
        guard let value = ProcessInfo.processInfo.environment["HOOKBIRD_\(name)"], !value.isEmpty else { return nil }
        return value
    }

    static func bool(_ flag: Bool, _ name: String) -> Bool {
        if flag { return true }
        return ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["HOOKBIRD_\(name)"]?.lowercased() ?? "")
    }
}

func makeLogger(_ level: Logger.Level) -> Logger {
    var logger = Logger(label: "hookbird")
    logger.logLevel = level
    return logger
}
