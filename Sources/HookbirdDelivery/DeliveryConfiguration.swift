//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

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
    /// Free every lease when starting (a backend used by one process only, as SQLite is).
    public var releaseLeasesOnStart: Bool
    /// How often queue metrics are refreshed.
    public var metricsInterval: Duration
    /// Sent as `user-agent`.
    public var userAgent: String
    /// How long the engine waits for one storage call (a claim, recording an attempt, …) before it gives up on it
    /// and treats the database as unavailable. A call on a connection the database dropped can wait forever.
    public var storageTimeout: Duration

    public init(
        workers: Int = 32,
        requestTimeout: Duration = .seconds(30),
        retryPolicy: RetryPolicy = RetryPolicy(),
        disablePolicy: DisablePolicy = DisablePolicy(),
        signatureHeaders: SignatureHeaders = .webhook,
        egress: EgressPolicy = EgressPolicy(),
        shutdownTimeout: Duration = .seconds(30),
        releaseLeasesOnStart: Bool = true,
        metricsInterval: Duration = .seconds(5),
        userAgent: String = "Hookbird/0.1.0",
        storageTimeout: Duration = .seconds(20)
    ) {
        self.workers = workers
        self.requestTimeout = requestTimeout
        self.retryPolicy = retryPolicy
        self.disablePolicy = disablePolicy
        self.signatureHeaders = signatureHeaders
        self.egress = egress
        self.shutdownTimeout = shutdownTimeout
        self.releaseLeasesOnStart = releaseLeasesOnStart
        self.metricsInterval = metricsInterval
        self.userAgent = userAgent
        self.storageTimeout = storageTimeout
    }

    /// A claim lasts this long: a worker that died loses its deliveries to another after it.
    var lease: Duration { requestTimeout + .seconds(30) }
}
