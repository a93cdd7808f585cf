//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import Foundation

/// A new, empty directory under the system's temporary directory (a database file, a config file…), removed by
/// ``remove()``; ``withTemporaryDirectory(_:in:_:)`` scopes one to a closure.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    /// Creates `<parent>/<prefix>-<UUID>`.
    public init(_ prefix: String, in parent: URL = FileManager.default.temporaryDirectory) throws {
        url = parent.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of the file `name` in the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Removes the directory and everything in it.
    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a new temporary directory, removed afterwards whatever happened.
public func withTemporaryDirectory<Value>(
    _ prefix: String,
    in parent: URL = FileManager.default.temporaryDirectory,
    _ body: (TemporaryDirectory) async throws -> Value
) async throws -> Value {
    let directory = try TemporaryDirectory(prefix, in: parent)
    defer { directory.remove() }
    return try await body(directory)
}

/// Runs `body` with a new temporary directory, removed afterwards whatever happened.
public func withTemporaryDirectory<Value>(
    _ prefix: String,
    in parent: URL = FileManager.default.temporaryDirectory,
    _ body: (TemporaryDirectory) throws -> Value
) throws -> Value {
    let directory = try TemporaryDirectory(prefix, in: parent)
    defer { directory.remove() }
    return try body(directory)
}
