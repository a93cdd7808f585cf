//
// This source file is part of Hookbird.
//
// `hookbird-bench`: a bare Hummingbird server used as the HTTP ceiling when benchmarking `hookbird serve`.
// It runs the same HTTP stack (Hummingbird 2 on SwiftNIO) with routes that do no work, so the ratio between
// `POST /api/v1/app/{app}/msg` and `POST /noop` shows what Hookbird's own code (auth, JSON, SQLite) costs.
// Driven by `bench/ingest.sh`.
//

import ArgumentParser
import Hummingbird

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookbird-bench",
        abstract: "Serve bare Hummingbird routes (POST /noop → 202, GET /noop → 200) to measure the HTTP ceiling."
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8072

    @Option(help: "Largest request body read and discarded by POST /noop, in bytes.")
    var maxBody: Int = 1_048_576

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
    }

    func run() async throws {
        let router = Router()
        let maxBody = self.maxBody
        // Read the whole body and discard it, as a real handler must, then answer with an empty 202.
        router.post("/noop") { request, _ -> HTTPResponse.Status in
            _ = try await request.body.collect(upTo: maxBody)
            return .accepted
        }
        router.get("/noop") { _, _ -> HTTPResponse.Status in
            .ok
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "hookbird-bench")
        )
        try await app.runService()
    }
}
