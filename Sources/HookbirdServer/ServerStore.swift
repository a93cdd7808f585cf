//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdDelivery
import HookbirdPostgres
import HookbirdSQLite
public import HookbirdStorage

/// An opened store, and what the rest of the server needs to know about its backend: the composition root, not the
/// store, decides how the delivery engine uses it.
public struct ServerStore: Sendable {
    enum Backend: Sendable {
        /// One process owns the file: fresh deliveries are handed to its engine, every lease is its own.
        case sqlite(handOff: DeliveryHandOff)
        /// Nodes share the database: what one node's engine has no room for is claimed by any node; throttle
        /// buckets and listeners are shared.
        case postgres(PostgresStore)
    }

    /// The store; a `Service` that must run while it is used.
    public let store: any HookbirdStore
    let backend: Backend

    var handOff: DeliveryHandOff? {
        switch backend {
        case .sqlite(let handOff): handOff
        case .postgres(let store): store.handOff
        }
    }

    var sharedThrottle: (any SharedThrottle)? {
        if case .postgres(let store) = backend { return store }
        return nil
    }

    var listenerRegistry: (any ListenerRegistry)? {
        if case .postgres(let store) = backend { return store }
        return nil
    }

    /// The delivery engine's settings for this backend.
    ///
    /// On SQLite the engine frees every lease at start and claims up to 4 × `workers` ahead (measured: 1× → 4×
    /// drained a backlog 10–20 % faster: claims are few and large, and a worker that frees up starts at once), and
    /// its calls need no deadline. On PostgreSQL it frees only expired leases, claims up to 2 × `workers` ahead
    /// (measured on one node: 0× → 2× drained a 10 000-delivery backlog 35–45 % faster, with a third of the claims
    /// and records; 4× was no better, and what one node holds ahead, the others cannot take), and waits at most
    /// 20 s for a call (a query on a connection the server dropped can wait for good).
    /// `factor` × the workers, counted up to 32 (what it was measured with): with hundreds of workers, claiming
    /// thousands ahead would only hold deliveries that mostly go to endpoints at their limit.
    static func claimAhead(workers: Int, factor: Int) -> Int { min(workers, 32) * factor }

    func engineConfiguration(_ base: DeliveryConfiguration) -> DeliveryConfiguration {
        var configuration = base
        switch backend {
        case .sqlite:
            configuration.leasesAtStart = .all
            configuration.claimAhead = Self.claimAhead(workers: configuration.workers, factor: 4)
            configuration.storageTimeout = nil
        case .postgres:
            configuration.leasesAtStart = .expired
            configuration.claimAhead = Self.claimAhead(workers: configuration.workers, factor: 2)
            configuration.storageTimeout = .seconds(20)
        }
        return configuration
    }
}
