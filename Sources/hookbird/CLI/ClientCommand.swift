//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import HookbirdClient

/// A command that talks to a running server. It implements ``run(api:output:)``; a failed call is printed as
/// `error: 401 authentication_failed: Invalid token` on stderr and ends the process with exit code 1.
protocol ClientCommand: AsyncParsableCommand {
    /// `--url`, `--token`, `--json`, `--progress`.
    var options: ClientOptions { get }

    /// Does the work.
    /// - Throws: ``APIClientError`` for a failed call (printed and turned into exit code 1), or any other error.
    func run(api: APIClient, output: Output) async throws
}

extension ClientCommand {
    /// Runs ``run(api:output:)`` with a client for `--url` and `--token`; a failed call becomes `error: …` on stderr
    /// and exit code 1.
    func run() async throws {
        let api = options.makeClient()
        let outcome: Result<Void, any Error>
        do {
            try await run(api: api, output: options.output)
            outcome = .success(())
        } catch let error as APIClientError {
            Output.error("error: \(error)")
            outcome = .failure(ExitCode.failure)
        } catch {
            outcome = .failure(error)
        }
        try? await api.shutdown()
        try outcome.get()
    }
}
