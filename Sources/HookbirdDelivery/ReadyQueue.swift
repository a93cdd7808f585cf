//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage

/// Claimed and handed-off deliveries waiting for a worker: a queue per endpoint, oldest first, and the endpoints
/// taken in turn (round robin), so that one endpoint's backlog does not keep the others' deliveries waiting, and an
/// endpoint at its limit of requests in flight waits without holding up the rest.
struct ReadyQueue: Sendable {
    private var queues: [EndpointID: [DeliveryScheduler.Ready]] = [:]
    /// The endpoints with waiting deliveries, in the order they are served; `cursor` is the next one's index.
    private var order: [EndpointID] = []
    private var cursor = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The endpoints with waiting deliveries.
    var endpoints: [EndpointID] { order }

    /// How many deliveries to `endpoint` wait.
    func waiting(_ endpoint: EndpointID) -> Int { queues[endpoint]?.count ?? 0 }

    mutating func append(_ ready: [DeliveryScheduler.Ready]) {
        for item in ready {
            let id = item.delivery.endpoint.id
            if queues[id] == nil {
                queues[id] = []
                order.append(id)
            }
            queues[id]!.append(item)
        }
        count += ready.count
    }

    /// Up to `limit` deliveries to start now, the endpoints taken in turn, each at most `room(endpoint)` more; the
    /// deliveries whose time ran out are dropped (returned by id, to give back to the table).
    mutating func take(
        _ limit: Int,
        now: Timestamp,
        room: (EndpointID) -> Int
    ) -> (deliveries: [ClaimedDelivery], waited: [Duration], dropped: [Int64]) {
        var deliveries: [ClaimedDelivery] = []
        var waited: [Duration] = []
        var dropped: [Int64] = []
        var taken: [EndpointID: Int] = [:]
        // Rounds over the endpoints until `limit` are taken or a whole round took nothing.
        var idleInARow = 0
        while deliveries.count < limit, !order.isEmpty, idleInARow < order.count {
            if cursor >= order.count { cursor = 0 }
            let id = order[cursor]
            var queue = queues[id]!
            queues[id] = nil  // unique while changed
            while let first = queue.first, first.until <= now {
                dropped.append(first.delivery.id)
                queue.removeFirst()
            }
            var took = false
            if let first = queue.first, room(id) > taken[id, default: 0] {
                deliveries.append(first.delivery)
                waited.append(first.since.duration(to: now))
                taken[id, default: 0] += 1
                queue.removeFirst()
                took = true
            }
            if queue.isEmpty {
                order.remove(at: cursor)
            } else {
                queues[id] = queue
                cursor += 1
            }
            idleInARow = took ? 0 : idleInARow + 1
        }
        count -= deliveries.count + dropped.count
        return (deliveries, waited, dropped)
    }

    /// How many of the waiting deliveries could start, given each endpoint's `room`.
    func startable(room: (EndpointID) -> Int) -> Int {
        order.reduce(0) { $0 + min(queues[$1]?.count ?? 0, max(0, room($1))) }
    }
}
