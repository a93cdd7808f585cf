//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

@testable import HookbirdDelivery
import HookbirdCore
import HookbirdStorage
import Logging
import Synchronization
import Testing

/// Collects the messages logged through it, with their levels.
final class CollectingLogHandlerBox: Sendable {
    let entries = Mutex<[(Logger.Level, String)]>([])

    var logger: Logger {
        var logger = Logger(label: "test") { _ in CollectingLogHandler(box: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CollectingLogHandler: LogHandler {
    let box: CollectingLogHandlerBox
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        box.entries.withLock { $0.append((event.level, "\(event.message)")) }
    }
}

@Suite struct StorageOutageTests {
    @Test func logsOncePerOutageAndBacksOffUpToTheMaximum() {
        let box = CollectingLogHandlerBox()
        let logger = box.logger
        var outage = StorageOutage()
        let error = StorageError.unavailable("connection refused")
        var now = Timestamp(iso8601: "2026-03-01T00:00:00Z")!
        func failed() -> Duration {
            let change = outage.failed(at: now)
            StorageOutage.log(change, error: error, logger: logger)
            now = now.adding(change.wait ?? .zero)
            return change.wait ?? .zero
        }
        func recovered() {
            if let change = outage.recovered(at: now) { StorageOutage.log(change, logger: logger) }
        }

        var waits: [Duration] = []
        for _ in 0..<10 { waits.append(failed()) }
        #expect(waits.prefix(4) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(waits.last == StorageOutage.maximumBackoff)
        #expect(waits == waits.sorted())

        recovered()
        recovered()  // no outage: nothing logged
        #expect(outage.failures == 0)
        #expect(failed() == .milliseconds(100))  // a new outage starts over

        let entries = box.entries.withLock { $0 }
        let errors = entries.filter { $0.0 == .error }.map(\.1)
        let notices = entries.filter { $0.0 == .notice }.map(\.1)
        #expect(errors.count == 2)  // once for each of the two outages
        #expect(errors.allSatisfy { $0.contains("delivery pauses") })
        #expect(notices == ["claiming deliveries works again; delivery resumes"])
    }

    /// The end of an outage says how many claims failed and how long it lasted, on the scheduler's clock.
    @Test func anOutageEndsWithItsFailuresAndLength() {
        var outage = StorageOutage()
        let start = Timestamp(iso8601: "2026-03-01T00:00:00Z")!
        #expect(outage.failed(at: start) == .began(wait: .milliseconds(100)))
        #expect(outage.failed(at: start.adding(.milliseconds(100))) == .continued(failures: 1, wait: .milliseconds(200)))
        #expect(outage.recovered(at: start.adding(.seconds(2))) == .ended(failures: 2, lasted: .seconds(2)))
        #expect(outage.recovered(at: start.adding(.seconds(3))) == nil)
    }
}
