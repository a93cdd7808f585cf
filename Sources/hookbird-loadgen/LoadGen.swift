//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

// `hookbird-loadgen`: the delivery benchmark's tools (driven by bench/delivery.sh).
//   sink       a receiver that answers 200 at once and records when each webhook-id arrived
//   post-loop  a raw AsyncHTTPClient POST loop: the ceiling Hookbird's delivery engine is compared with
//   drive      posts messages to Hookbird at a steady rate and records when each 202 came back

import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import Synchronization

@main
struct LoadGen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookbird-loadgen",
        abstract: "Benchmark tools for Hookbird's delivery engine.",
        subcommands: [Sink.self, PostLoop.self, Drive.self]
    )
}

/// Microseconds since the Unix epoch, comparable between processes on one machine.
func nowMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

/// A counter shared between tasks.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func add() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// A value shared between tasks.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
}

/// A message id and a `v1` signature of the lengths Hookbird sends, for the raw loop's requests.
let rawID = "msg_" + String(repeating: "r", count: 27)
let rawSignature = "v1," + String(repeating: "A", count: 43) + "="

let payload1KiB: String = {
    var fields: [String] = []
    var index = 0
    while fields.joined(separator: ",").utf8.count < 1000 {
        fields.append("\"field\(index)\":\"value-\(index)-abcdefghij\"")
        index += 1
    }
    return "{" + fields.joined(separator: ",") + "}"
}()

struct Sink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Answer 200 at once; GET /receipts lists arrivals, GET /count counts them.")

    @Option var port: Int = 18_190

    func run() async throws {
        let receipts = Shared<[String: Int64]>([:])
        let count = Counter()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let at = nowMicros()
            _ = try await request.body.collect(upTo: 1 << 20)
            count.add()
            if let id = request.headers[HTTPField.Name("webhook-id")!] {
                receipts.value.withLock { if $0[id] == nil { $0[id] = at } }
            }
            return .ok
        }
        router.get("/receipts") { _, _ -> Response in
            let snapshot = receipts.value.withLock { $0 }
            let data = try JSONSerialization.data(withJSONObject: ["count": count.count, "receipts": snapshot])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
        }
        // The count alone, for polling while a run goes on: /receipts copies and encodes every arrival.
        router.get("/count") { _, _ -> String in
            String(count.count)
        }
        router.post("/reset") { _, _ -> HTTPResponse.Status in
            receipts.value.withLock { $0.removeAll() }
            count.value.store(0, ordering: .relaxed)
            return .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await app.runService()
    }
}

struct PostLoop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "POST a 1 KiB JSON body as fast as possible.")

    @Option var url: String
    @Option var concurrency: Int = 32
    @Option var duration: Double = 10

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        // As in Hookbird's transport: no request spans (~10 % of this loop's CPU per request).
        configuration.tracing.tracer = nil
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let done = Counter()
        let failed = Counter()
        let deadline = ContinuousClock.now + .milliseconds(Int64(duration * 1000))
        let url = self.url
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while ContinuousClock.now < deadline {
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        // The request a delivery makes, byte for byte in size: the same body and the same headers, with a
                        // fixed id and signature; so the sink and the kernel do the same work for both.
                        request.headers.add(name: "content-type", value: "application/json")
                        request.headers.add(name: "user-agent", value: "Hookbird/0.1.0")
                        request.headers.add(name: "webhook-id", value: rawID)
                        request.headers.add(name: "webhook-timestamp", value: "1700000000")
                        request.headers.add(name: "webhook-signature", value: rawSignature)
                        request.body = .bytes(ByteBuffer(string: payload1KiB))
                        do {
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            done.add()
                        } catch {
                            failed.add()
                        }
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try await client.shutdown()
        print("RAW requests=\(done.count) failed=\(failed.count) rps=\(String(format: "%.0f", Double(done.count) / seconds))")
    }
}

struct Drive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post messages at a steady rate; print each message id with the time its 202 arrived."
    )

    @Option var api: String
    @Option var token: String
    @Option var app: String
    @Option var rate: Int = 1000
    @Option var duration: Double = 10
    @Option var output: String

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let accepted = Shared<[String]>([])
        let failed = Counter()
        let total = Int(Double(rate) * duration)
        let interval = Duration.nanoseconds(1_000_000_000 / Int64(rate))
        let start = ContinuousClock.now + .milliseconds(100)
        let url = "\(api)/api/v1/app/\(app)/msg?with_content=false"
        let body = "{\"eventType\":\"bench.event\",\"payload\":\(payload1KiB)}"
        let token = self.token
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                // Open loop: each message leaves at its own time, whether or not earlier ones were answered.
                try? await Task.sleep(until: start + interval * index, clock: .continuous)
                group.addTask {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "authorization", value: "Bearer \(token)")
                    request.headers.add(name: "content-type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: body))
                    do {
                        let response = try await client.execute(request, timeout: .seconds(30))
                        let bytes = try await response.body.collect(upTo: 1 << 20)
                        let at = nowMicros()
                        guard response.status.code == 202,
                            let object = try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any],
                            let id = object["id"] as? String
                        else {
                            failed.add()
                            return
                        }
                        accepted.value.withLock { $0.append("\(id) \(at)") }
                    } catch {
                        failed.add()
                    }
                }
            }
        }
        try await client.shutdown()
        let lines = accepted.value.withLock { $0 }
        try lines.joined(separator: "\n").write(toFile: output, atomically: true, encoding: .utf8)
        print("DRIVE sent=\(total) accepted=\(lines.count) failed=\(failed.count)")
    }
}
