//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// How the delivery engine sends webhooks.
public struct DeliveryConfiguration: Sendable {
    /// Which header names carry the id, timestamp and signature.
    public enum SignatureHeaders: String, Sendable, CaseIterable {
        /// `webhook-id`, `webhook-timestamp`, `webhook-signature` (Standard Webhooks).
        case webhook
        /// `svix-id`, `svix-timestamp`, `svix-signature`.
        case svix
    }

    /// Requests in flight at most.
    public var workers: Int
    /// Deadline of one request.
    public var requestTimeout: Duration
    public var retryPolicy: RetryPolicy
    public var disablePolicy: DisablePolicy
    public var signatureHeaders: SignatureHeaders
    public var egress: EgressPolicy
    /// How long in-flight requests may finish after SIGTERM.
    public var shutdownTimeout: Duration
    /// Which leases to free when starting.
    public var leasesAtStart: LeasesAtStart
    /// How many claimed deliveries may wait for a worker beyond the free workers (see `DeliveryService`); worth it
    /// when this process uses the queue alone, since claims are then few and large and a worker that frees up
    /// starts at once. 0 when other nodes share the queue: they would wait for what this one holds.
    public var claimAhead: Int
    /// How often queue metrics are refreshed.
    public var metricsInterval: Duration
    /// Sent as `user-agent`.
    public var userAgent: String
    /// How long the engine waits for one storage call (a claim, recording an attempt, …) before it gives up on it
    /// and treats the database as unavailable: for a network database, where a call on a connection the database
    /// dropped can wait forever (see `PostgresStore.withConnection`). `nil`: no deadline (SQLite's calls run on local
    /// threads and always end).
    public var storageTimeout: Duration?
    /// Requests in flight to one endpoint at most from this engine, unless the endpoint sets its own (`maxInFlight`),
    /// so that one slow endpoint cannot hold every worker; halved per timeout in a row (``InFlightLimit``).
    public var endpointMaxInFlight: Int

    /// Which leases the engine frees when it starts.
    public enum LeasesAtStart: Sendable, Hashable {
        /// Every lease: the queue is this process's alone (SQLite), so every lease is its own, from before a
        /// restart.
        case all
        /// Only leases that ran out: other nodes share the queue and a running lease belongs to a live worker.
        case expired
    }

    public init(
        workers: Int = 512,
        requestTimeout: Duration = .seconds(30),
        retryPolicy: RetryPolicy = RetryPolicy(),
        disablePolicy: DisablePolicy = DisablePolicy(),
        signatureHeaders: SignatureHeaders = .webhook,
        egress: EgressPolicy = EgressPolicy(),
        shutdownTimeout: Duration = .seconds(30),
        leasesAtStart: LeasesAtStart = .all,
        claimAhead: Int = 0,
        metricsInterval: Duration = .seconds(5),
        userAgent: String = "Hookbird/0.1.0",
        storageTimeout: Duration? = nil,
        endpointMaxInFlight: Int = InFlightLimit.defaultLimit
    ) {
        self.workers = workers
        self.requestTimeout = requestTimeout
        self.retryPolicy = retryPolicy
        self.disablePolicy = disablePolicy
        self.signatureHeaders = signatureHeaders
        self.egress = egress
        self.shutdownTimeout = shutdownTimeout
        self.leasesAtStart = leasesAtStart
        self.claimAhead = claimAhead
        self.metricsInterval = metricsInterval
        self.userAgent = userAgent
        self.storageTimeout = storageTimeout
        self.endpointMaxInFlight = endpointMaxInFlight
    }

    /// A claim lasts this long: a worker that died loses its deliveries to another after it.
    public var lease: Duration { requestTimeout + .seconds(30) }
}
