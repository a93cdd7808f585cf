//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// What one `hookbird serve` process does, from `--role`: several nodes on one PostgreSQL database can split the
/// HTTP API from the delivery engine and scale them apart.
public enum ServerRole: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The API, the inbound gateway and the dashboard; no delivery engine. Accepted messages wait in the queue
    /// table for a `worker` or `all` node.
    case api
    /// The delivery engine; the port serves only `/api/v1/health`, `/api/v1/health/ping` and `/metrics`.
    case worker
    /// Both (the default, and the only sensible role for a single process).
    case all

    /// Whether the process serves the API, the inbound gateway and the dashboard.
    public var servesAPI: Bool { self != .worker }

    /// Whether the process runs the delivery engine.
    public var runsWorkers: Bool { self != .api }

    public var description: String { rawValue }
}
