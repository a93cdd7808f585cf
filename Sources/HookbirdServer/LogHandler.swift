//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import Logging

/// swift-log's `StreamLogHandler` (standard error, its format), with the logger's metadata formatted when a line is
/// written instead of each time it changes.
///
/// Hummingbird gives every request a logger with its own `hb.request.id`; `StreamLogHandler` formats its whole
/// metadata again on every such change, a few microseconds per request for lines that are almost never written.
public struct HookbirdLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(label: String) {
        stream = StreamLogHandler.standardError(label: label)
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = event.metadata.map { metadata.merging($0) { _, explicit in explicit } } ?? metadata
        }
        stream.log(event: event)
    }
}
