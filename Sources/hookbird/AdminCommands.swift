//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//


import ArgumentParser
import Foundation
import HookbirdCore
import HookbirdServer
import Logging

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the database schema migrations and exit.")

    @OptionGroup var databaseOptions: DatabaseOptions

    func run() async throws {
        try await exitingOnConfigErrors {
            let settings = try await SettingSources.load(commandLine: databaseOptions.given)
            var configuration = ServerConfiguration()
            try databaseOptions.apply(to: &configuration, from: settings)
            try await HookbirdServer.withStore(configuration, logger: makeLogger(configuration.logLevel)) { _ in }
            print("migrations applied to \(configuration.database)")
        }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make API tokens (locally, from the server's JWT secret).",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a JWT for an organisation, or scoped to one application.",
            discussion: """
                Unlike app, endpoint, message and the other nouns, this does not call a server: it signs the token, \
                with --jwt-secret, or with the secret the server generated and keeps in --database when none is \
                given. So it runs where the server's secret or database is, and needs no --url or --token. The \
                token it prints is what the others take as --token or HOOKBIRD_TOKEN.
                """
        )

        @Option(help: "The organisation (org_…). (default: the default organisation)")
        var org: String?

        @Option(help: "An application id (app_…): the token may then only use that application.")
        var app: String?

        @Option(help: "The secret the server verifies tokens with. [env: HOOKBIRD_JWT_SECRET]")
        var jwtSecret: String?

        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            try await exitingOnConfigErrors { try await create() }
        }

        private func create() async throws {
            let orgID: OrganizationID
            if let org {
                guard let parsed = OrganizationID(rawValue: org) else { throw ValidationError("--org must start with org_") }
                orgID = parsed
            } else {
                orgID = .default
            }
            let appID: ApplicationID?
            if let app {
                guard let parsed = ApplicationID(rawValue: app) else {
                    throw ValidationError("--app must be an application id (app_ followed by 27 characters)")
                }
                appID = parsed
            } else {
                appID = nil
            }
            var given = databaseOptions.given
            given[.jwtSecret] = jwtSecret
            let settings = try await SettingSources.load(commandLine: given)
            var secret = try settings.value(.jwtSecret)?.text
            if let secret { try HookbirdServer.validateJWTSecret(secret) }
            if secret == nil {
                var configuration = ServerConfiguration()
                try databaseOptions.apply(to: &configuration, from: settings)
                if case .sqlite(let path) = configuration.database, !FileManager.default.fileExists(atPath: path) {
                    throw ValidationError("no database at \(path): pass --jwt-secret, or the --database the server uses")
                }
                secret = try await HookbirdServer.storedJWTSecret(configuration, logger: makeLogger(.warning))
            }
            guard let secret else {
                throw ValidationError(
                    "no JWT secret: pass --jwt-secret, or --database pointing at a database whose server generated one"
                )
            }
            print(try await HookbirdServer.makeToken(secret: secret, org: orgID, app: appID))
        }
    }
}

/// `hookbird config-reference`: the README's configuration table, made from ``ServeSetting``.
struct ConfigReference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-reference",
        abstract: "Print the table of serve's settings (flag, environment variable, config file key) in Markdown.",
        shouldDisplay: false
    )

    func run() throws {
        print(ServeSetting.markdownTable, terminator: "")
    }
}
