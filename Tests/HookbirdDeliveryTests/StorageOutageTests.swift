//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

@testable import HookbirdDelivery
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

        var waits: [Duration] = []
        for _ in 0..<10 { waits.append(outage.failed(error, logger: logger)) }
        #expect(waits.prefix(4) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(waits.last == StorageOutage.maximumBackoff)
        #expect(waits == waits.sorted())

        outage.recovered(logger: logger)
        outage.recovered(logger: logger)  // no outage: nothing logged
        #expect(outage.failures == 0)
        #expect(outage.failed(error, logger: logger) == .milliseconds(100))  // a new outage starts over

        let entries = box.entries.withLock { $0 }
        let errors = entries.filter { $0.0 == .error }.map(\.1)
        let notices = entries.filter { $0.0 == .notice }.map(\.1)
        #expect(errors.count == 2)  // once for each of the two outages
        #expect(errors.allSatisfy { $0.contains("delivery pauses") })
        #expect(notices == ["claiming deliveries works again; delivery resumes"])
    }
}
