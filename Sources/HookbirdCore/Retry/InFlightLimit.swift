//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// How many requests one node's delivery engine has in flight to one endpoint at most, so that one customer's slow
/// endpoint cannot hold every worker: the endpoint's `maxInFlight`, or the server's default
/// (`--endpoint-max-in-flight`, 16). An endpoint that keeps timing out gets fewer slots: half its limit per timeout in
/// a row, down to one; any answer gives it its whole limit back.
///
/// ```swift
/// InFlightLimit.slots(limit: 16, consecutiveTimeouts: 0)   // 16
/// InFlightLimit.slots(limit: 16, consecutiveTimeouts: 2)   // 4
/// InFlightLimit.slots(limit: 16, consecutiveTimeouts: 9)   // 1
/// ```
///
/// An ordered endpoint (one request at a time, in order) is a limit of 1 plus claims that take only its oldest
/// delivery; the scheduler keeps each endpoint's deliveries in due order for that.
public enum InFlightLimit {
    /// The server's default limit per endpoint.
    public static let defaultLimit = 16
    /// The limits an endpoint or the server may set.
    public static let range = 1...10_000

    /// The requests in flight an endpoint gets after `consecutiveTimeouts` timeouts in a row.
    public static func slots(limit: Int, consecutiveTimeouts: Int) -> Int {
        max(1, limit >> min(max(0, consecutiveTimeouts), 62))
    }
}
