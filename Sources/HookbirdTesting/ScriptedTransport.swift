//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdDelivery
import Synchronization

/// A transport that answers from a script and records what it was asked to send: nothing leaves the process.
///
/// ```swift
/// let transport = ScriptedTransport([.response(status: 500, retryAfter: nil, body: [])])
/// // the first send gets the 500, every later one the fallback (200)
/// ```
public final class ScriptedTransport: DeliveryTransport {
    private let state = Mutex<(script: [TransportResult], sent: [OutgoingWebhook])>(([], []))
    /// The answer once the script has run out.
    public let fallback: TransportResult

    public init(
        _ script: [TransportResult] = [],
        fallback: TransportResult = .response(status: 200, retryAfter: nil, body: [])
    ) {
        state.withLock { $0.script = script }
        self.fallback = fallback
    }

    /// What was sent, in order.
    public var sent: [OutgoingWebhook] { state.withLock { $0.sent } }

    public func send(_ webhook: OutgoingWebhook, timeout: Duration) async -> TransportResult {
        state.withLock { state in
            state.sent.append(webhook)
            return state.script.isEmpty ? fallback : state.script.removeFirst()
        }
    }

    public func shutdown() async {}
}
