//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import PostgresNIO

/// Which nodes are alive, so that the leases of one that died are freed in seconds.
///
/// Every lease a node takes (a claim, a hand-off) carries its ``PostgresStore/nodeKey``. Each node writes its row in
/// `nodes` every ``heartbeat``, due to run out ``nodeLifetime`` later by the database's clock (one clock for every
/// node), and frees the leases of the nodes whose row ran out: they are pending again, due at once, and any node
/// claims them. Without this, a delivery leased by a node killed with `kill -9` waited for its lease to run out (the
/// request timeout + 30 s, a minute by default) before another node, or the same one restarted, sent it.
///
/// A node declares others dead only after its own heartbeats have gone through for a whole ``nodeLifetime``: after
/// an outage of the database every node's row has run out, and each must have had the time to write it again. A
/// node that was only paused for longer than that (a stopped process, a frozen machine) finds its leases taken
/// back and may send a delivery another node sends too: at least once, as after any lease that runs out.
extension PostgresStore {
    /// How often a node says it is alive.
    static let heartbeat = Duration.seconds(2)
    /// How long a node counts as alive after it last said so.
    static let nodeLifetime = Duration.seconds(10)

    /// The database's clock, in microseconds.
    private static let databaseNow = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"

    /// Writes this node's heartbeat and frees dead nodes' leases, every ``heartbeat`` until cancelled.
    func keepAlive() async {
        var liveness = NodeLiveness(lifetime: Self.nodeLifetime)
        while !Task.isCancelled {
            // The first heartbeat is written by `migrate()`, once the table exists.
            try? await Task.sleep(for: Self.heartbeat)
            do {
                try await beat()
                let (mayJudgeOthers, recovered) = liveness.beatWritten(at: .now)
                if recovered { logger.notice("PostgreSQL node heartbeat written again") }
                if mayJudgeOthers {
                    let freed = try await freeLeasesOfDeadNodes()
                    if freed > 0 {
                        logger.notice("re-queued \(freed) deliveries leased by nodes that stopped answering")
                        deliveriesQueued()
                    }
                }
            } catch {
                if Task.isCancelled { return }
                if liveness.beatFailed() {
                    logger.warning(
                        "PostgreSQL node heartbeat failed; retrying",
                        metadata: ["error": "\(Self.describe(error))"]
                    )
                }
            }
        }
    }

    /// Writes this node's row (also once when the store migrates, before the delivery engine takes any lease).
    func beat() async throws {
        let lifetime = Self.nodeLifetime.microseconds
        _ = try await execute(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO nodes (id, expires_at) VALUES ($1, \(Self.databaseNow) + $2)
                    ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
                    """,
                binds: Self.bindings(nodeKey, lifetime)
            )
        )
    }

    /// Frees the leases of the nodes whose heartbeat ran out and forgets them; returns how many were freed. Two
    /// nodes doing it at once free each lease once (the second waits for the first's row locks, then finds none).
    func freeLeasesOfDeadNodes() async throws -> Int {
        try await execute(
            PostgresQuery(
                unsafeSQL: """
                    WITH dead AS (DELETE FROM nodes WHERE expires_at < \(Self.databaseNow) RETURNING id)
                    UPDATE deliveries SET status = \(Self.pending), next_attempt_at = $1, lease_node = NULL
                    WHERE status = \(Self.sending) AND lease_node IN (SELECT id FROM dead) RETURNING id
                    """,
                binds: Self.bindings(Timestamp.now.microseconds)
            )
        ).count
    }

    /// At graceful shutdown, once the delivery engine has stopped: frees what this node still holds (deliveries it
    /// claimed ahead and did not start) for the other nodes, and removes its row.
    func leave() async {
        guard !Task.isCancelled else { return }
        do {
            let freed = try await execute(
                PostgresQuery(
                    unsafeSQL: """
                        WITH me AS (DELETE FROM nodes WHERE id = $2)
                        UPDATE deliveries SET status = \(Self.pending), next_attempt_at = $1, lease_node = NULL
                        WHERE status = \(Self.sending) AND lease_node = $2 RETURNING id
                        """,
                    binds: Self.bindings(Timestamp.now.microseconds, nodeKey)
                )
            ).count
            if freed > 0 {
                logger.info("left \(freed) deliveries this node held to the other nodes")
                _ = try await execute(PostgresQuery(unsafeSQL: "SELECT pg_notify('\(Self.workChannel)', '')"))
            }
        } catch {
            logger.warning(
                "could not free this node's leases at shutdown; they run out by themselves",
                metadata: ["error": "\(Self.describe(error))"]
            )
        }
    }

    private static func bindings(_ values: Int64...) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return bindings
    }
}

extension Duration {
    fileprivate var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}

/// When a node may declare other nodes dead: only once its own heartbeats have gone through for a whole lifetime
/// without a failure in between (after an outage of the database every node's row has run out, and each must have
/// had the time to write it again). No I/O and no clock of its own.
struct NodeLiveness {
    let lifetime: Duration
    /// The first heartbeat of the current run without failures.
    private(set) var writingSince: ContinuousClock.Instant?
    private(set) var failing = false

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    /// A heartbeat went through at `now`.
    /// - Returns: Whether this node may now free the leases of nodes whose heartbeat ran out, and whether this ends a
    ///   run of failures (to be logged once).
    mutating func beatWritten(at now: ContinuousClock.Instant) -> (mayJudgeOthers: Bool, recovered: Bool) {
        let since = writingSince ?? now
        writingSince = since
        defer { failing = false }
        return (now - since >= lifetime, failing)
    }

    /// A heartbeat failed: the run starts again with the next one that goes through.
    /// - Returns: Whether this begins a run of failures (to be logged once).
    mutating func beatFailed() -> Bool {
        writingSince = nil
        defer { failing = true }
        return !failing
    }
}
