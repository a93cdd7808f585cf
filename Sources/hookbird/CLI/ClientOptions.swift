//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import HookbirdClient

/// Where a client command finds the server and how it prints; shared by every command that talks to a running
/// server (the `app`, `endpoint`, `message`, … nouns, and anything else built on ``APIClient``).
///
/// ```swift
/// struct Ping: ClientCommand {
///     @OptionGroup var options: ClientOptions
///     func run(api: APIClient, output: Output) async throws {
///         output.object(try await api.call(.GET, "health"))
///     }
/// }
/// ```
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of the Hookbird server. [env: HOOKBIRD_URL] (default: http://127.0.0.1:8071)")
    var url: String?

    @Option(
        help: "API token: the server's --admin-token, or a JWT from `hookbird token create`. [env: HOOKBIRD_TOKEN]"
    )
    var token: String?

    @Flag(help: "Print the server's JSON instead of tables, for scripts.")
    var json = false

    @Flag(help: "Draw progress bars on stderr even when it is not a terminal.")
    var progress = false

    /// The server's base URL, without a trailing slash.
    var baseURL: String {
        let url = Env.value(url, "URL") ?? "http://127.0.0.1:8071"
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    func validate() throws {
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw ValidationError("--url must start with http:// or https://; got '\(baseURL)'")
        }
    }

    /// A client for the server these options name, with a connection pool of its own (call `shutdown()` when
    /// done) that reports a refused connection at once: the shared pool retries it until the call's 30 s deadline,
    /// so a bulk send to a server that went away took 30 s per line to say so.
    func makeClient() -> APIClient {
        APIClient.withOwnConnections(
            baseURL: baseURL,
            token: Env.value(token, "TOKEN"),
            userAgent: "hookbird-cli/\(Hookbird.configuration.version)",
            connectTimeout: .seconds(10)
        )
    }

    /// How output is printed.
    var output: Output { Output(json: json, progress: progress) }
}
