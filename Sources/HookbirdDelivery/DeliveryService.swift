//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
public import HookbirdCore
public import HookbirdStorage
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization

/// The delivery engine: claims due deliveries from the queue table, signs and sends them, records every attempt,
/// and retries, fails or disables by the policies.
///
/// At most `workers` requests are in flight. New messages wake the loop at once through the store's
/// ``WorkSignal``; otherwise it sleeps until the next delivery is due. Every claim is a lease: a delivery claimed by a
/// process that died is claimed again when its lease runs out. On graceful shutdown it stops claiming, lets
/// in-flight requests finish for up to `shutdownTimeout`, and leaves the rest leased for the next start.
public struct DeliveryService: Service {
    let store: any HookbirdStore
    /// Where the store hands fresh deliveries straight to this engine (SQLite), if it does.
    let handOff: DeliveryHandOff?
    /// The throttle buckets the nodes share (PostgreSQL); without, this process throttles in memory.
    let sharedThrottle: (any SharedThrottle)?
    let makeTransport: @Sendable () -> any DeliveryTransport
    let configuration: DeliveryConfiguration
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    let throttle = Throttle()
    let operational: OperationalWebhooks
    let metrics = DeliveryMetrics()

    /// - Parameters:
    ///   - store: The queue and everything it refers to.
    ///   - handOff: Where the store hands fresh deliveries to the engine without a claim, when this process uses the
    ///     queue alone (`SQLiteStore.handOff`).
    ///   - sharedThrottle: Throttle buckets kept in the database for every node (`PostgresStore`); `nil` throttles
    ///     in memory.
    ///   - makeTransport: Makes what sends the requests (``HTTPDeliveryTransport`` in production); it is made when
    ///     the service starts and shut down when it stops.
    ///   - configuration: Workers, timeouts and policies.
    ///   - logger: Where the engine logs; endpoint secrets never appear in it.
    ///   - clock: The time source; tests inject one.
    public init(
        store: any HookbirdStore,
        handOff: DeliveryHandOff? = nil,
        sharedThrottle: (any SharedThrottle)? = nil,
        makeTransport: @escaping @Sendable () -> any DeliveryTransport,
        configuration: DeliveryConfiguration,
        logger: Logger,
        clock: @escaping @Sendable () -> Timestamp = { .now }
    ) {
        self.store = store
        self.handOff = handOff
        self.sharedThrottle = sharedThrottle
        self.makeTransport = makeTransport
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.operational = OperationalWebhooks(store: store)
    }

    public func run() async throws {
        do {
            let all = configuration.leasesAtStart == .all
            let released = try await bounded { store, now in
                try await store.releaseLeases(expiringBy: all ? Timestamp(microseconds: .max) : now, now: now)
            }
            if released > 0 {
                logger.notice("re-queued \(released) deliveries that were in flight when the last run stopped")
            }
        } catch {
            // Not fatal: those leases run out by themselves and the deliveries are claimed again then.
            logger.warning("could not re-queue the deliveries of the last run", metadata: ["error": "\(error)"])
        }
        let state = LoopState()
        let signal = store.workSignal
        let handOff = self.handOff
        let transport = makeTransport()
        handOff?.open(lease: configuration.lease, room: configuration.workers)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await reportQueueMetrics(state) }
                var outage = StorageOutage()
                // Whether the table may hold due deliveries: claims are write transactions, so the loop claims
                // only when asked (work was queued), when its last claim brought all it asked for, or when the
                // next due delivery's time has come.
                var claimWanted = true
                var nextClaim = ContinuousClock.now
                // Where successes are gathered and recorded together, when the store writes a batch more cheaply.
                let recorder: SuccessRecorder? = SuccessRecorder()
                if let recorder {
                    group.addTask { await record(recorder, state: state, signal: signal) }
                }
                func start(_ delivery: ClaimedDelivery) {
                    group.addTask {
                        // A worker bounds the requests in flight: once the response is in, the worker is free
                        // for the next delivery while this attempt waits for its transaction, unless 4 × `workers`
                        // attempts already wait for theirs (measured: 4× rather than 1× drained a backlog ~5 %
                        // faster; they wait for group commits of the writer).
                        var released = false
                        var handedOver = false
                        let outcome = await deliver(
                            delivery,
                            transport: transport,
                            sent: {
                                let recording = state.recording.wrappingAdd(1, ordering: .relaxed).newValue
                                guard recording <= configuration.workers * 4 else {
                                    state.recording.subtract(1, ordering: .relaxed)
                                    return
                                }
                                released = true
                                state.inFlight.subtract(1, ordering: .relaxed)
                                signal.wake()
                            },
                            recordLater: { completion in
                                // A released success is left to the recorder, which counts it off once written:
                                // this task ends here.
                                guard released, let recorder else { return false }
                                recorder.add(completion)
                                handedOver = true
                                return true
                            }
                        )
                        if handedOver {
                            return
                        } else if released {
                            state.recording.subtract(1, ordering: .relaxed)
                        } else {
                            state.inFlight.subtract(1, ordering: .relaxed)
                        }
                        // A retry is queued in the table: look for due work again. Otherwise a worker is free.
                        if case .retry = outcome { signal.signal() } else if !released { signal.wake() }
                    }
                }
                // Claimed deliveries waiting for a worker. A claim may bring up to `claimAhead` more than there are
                // free workers (the composition root chooses: 4 × `workers` on SQLite, 2 × on PostgreSQL), so that a
                // worker that frees up starts its next delivery at once instead of waiting for a claim, and claims
                // are few and large; a restart releases them with the other leases (on PostgreSQL they run out).
                // A claimed delivery is started only while its lease still outlasts a whole request by half
                // the lease's margin over the request timeout (15 s by default), time enough to record the
                // attempt; one that waited longer (every worker stuck on slow endpoints) is dropped, left to its
                // lease and claimed again later, rather than sent while its lease could run out.
                var ready: [(delivery: ClaimedDelivery, until: ContinuousClock.Instant)] = []
                let prefetch = configuration.claimAhead
                let readyLimit = (configuration.lease - configuration.requestTimeout) / 2
                // Under load a claim waits until it can bring a quarter of the most it may bring.
                let batch = max(1, (configuration.workers + prefetch) / 4)
                while !state.stopping.load(ordering: .relaxed), !Task.isCancelled {
                    // A claim runs beside the loop (it waits for the writer); its result comes back here.
                    if let result = state.claimResult.withLock({ $0.take() }) {
                        switch result.claimed {
                        case .success(let claimed):
                            outage.recovered(logger: logger)
                            let until = result.at + readyLimit
                            ready += claimed.map { ($0, until) }
                            if let idle = result.idle {
                                // The table has nothing more due now: claim again when asked, or when the next
                                // delivery is due.
                                claimWanted = false
                                nextClaim = .now + idle
                            }
                        case .failure(let error):
                            // The database is unreachable (or the claim failed otherwise): log once per outage,
                            // back off, and try again; the engine never stops for a storage error.
                            claimWanted = false
                            nextClaim = .now + outage.failed(error, logger: logger)
                        }
                    }
                    // During an outage the backoff holds even when work is queued (the request stays for later).
                    let backingOff = outage.failures > 0 && ContinuousClock.now < nextClaim
                    if !backingOff, signal.takeClaimRequest() || ContinuousClock.now >= nextClaim { claimWanted = true }
                    let claiming = state.claiming.load(ordering: .relaxed)
                    var free = configuration.workers - state.inFlight.load(ordering: .relaxed)
                    if free > 0, !ready.isEmpty {
                        let now = ContinuousClock.now
                        var taken = 0
                        while free > 0, taken < ready.count {
                            let (delivery, until) = ready[taken]
                            taken += 1
                            guard now < until else { continue }
                            state.inFlight.add(1, ordering: .relaxed)
                            start(delivery)
                            free -= 1
                        }
                        ready.removeFirst(taken)
                    }
                    // Deliveries the store handed over, already leased, go next; while the table has due work
                    // too (it overflowed there when every worker was busy), they get half the free workers, so
                    // that neither waits for the other to run dry.
                    if free > 0, let handOff {
                        let handed = handOff.take(limit: claimWanted || claiming ? (free + 1) / 2 : free)
                        state.inFlight.add(handed.count, ordering: .relaxed)
                        for delivery in handed { start(delivery) }
                        free -= handed.count
                    }
                    // Under load, claim in batches rather than one worker at a time: every claim is a write.
                    let room = free + prefetch - ready.count
                    let busy = configuration.workers - free
                    if claimWanted, !claiming, room >= (busy > 0 ? batch : 1) {
                        state.claiming.store(true, ordering: .relaxed)
                        let lease = configuration.lease
                        group.addTask {
                            let at = ContinuousClock.now
                            let claimed: Result<[ClaimedDelivery], any Error>
                            do {
                                claimed = .success(
                                    try await bounded { store, now in
                                        try await store.claimDeliveries(now: now, limit: room, lease: lease)
                                    }
                                )
                            } catch {
                                claimed = .failure(error)
                            }
                            var idle: Duration?
                            if case .success(let deliveries) = claimed, deliveries.count < room {
                                idle = await idleWait()
                            }
                            state.claimResult.withLock { $0 = ClaimResult(at: at, claimed: claimed, idle: idle) }
                            state.claiming.store(false, ordering: .relaxed)
                            signal.wake()
                        }
                        continue
                    }
                    if claiming || free == 0 || (claimWanted && busy > 0) {
                        // A wake is on its way (a claim's result, a worker that frees up), and nothing here waits
                        // for a time: no timer (under load the loop waits thousands of times a second).
                        await signal.wait()
                    } else {
                        let timeout = claimWanted ? Duration.seconds(1) : max(nextClaim - .now, .milliseconds(1))
                        await signal.wait(timeout: timeout)
                    }
                }
                // Graceful shutdown: no new claims; in-flight requests get `shutdownTimeout` to finish. Handed-off
                // and claimed deliveries not started keep their lease, and so do those of a claim that comes back
                // now: the next start releases them (a lease runs out on PostgreSQL).
                handOff?.close()
                let deadline = ContinuousClock.now + configuration.shutdownTimeout
                while state.inFlight.load(ordering: .relaxed) + state.recording.load(ordering: .relaxed) > 0,
                    ContinuousClock.now < deadline
                {
                    await signal.wait(timeout: .milliseconds(100))
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            state.stopping.store(true, ordering: .relaxed)
            signal.wake()
        }
        handOff?.close()
        await transport.shutdown()
    }

    /// Records the successes handed to `recorder`, a batch per transaction: while one is written the next gathers.
    /// Each is counted off `state.recording` once written (or once its write failed: its lease then brings it
    /// back). Ends when cancelled (graceful shutdown waits for the records first).
    func record(_ recorder: SuccessRecorder, state: LoopState, signal: WorkSignal) async {
        while true {
            let batch = recorder.take(max: Self.maxRecordBatch)
            if batch.isEmpty {
                if Task.isCancelled { return }
                await recorder.signal.wait()
                continue
            }
            do {
                try await store.completeSucceededDeliveries(batch, now: clock())
            } catch {
                // The leases run out and the deliveries are tried again: at least once.
                logger.error("recording attempts failed", metadata: ["error": "\(error)", "attempts": "\(batch.count)"])
            }
            state.recording.subtract(batch.count, ordering: .relaxed)
            signal.wake()
        }
    }

    /// Most successes recorded in one transaction (12 bound values each, well below SQLite's limit).
    static let maxRecordBatch = 256

    /// How long the loop may sleep when there is nothing to claim: until the next delivery is due, at most 1 s.
    func idleWait() async -> Duration {
        guard let due = try? await bounded({ store, _ in try await store.nextDueTime() }) else { return .seconds(1) }
        let micros = due.microseconds - clock().microseconds
        return .microseconds(min(max(micros, 1000), 1_000_000))
    }

    /// Runs a storage call with the store and the time, waiting for it at most ``DeliveryConfiguration/storageTimeout``
    /// (see ``withStorageDeadline(_:_:)``) when the store's calls may stall.
    func bounded<T: Sendable>(
        _ call: @escaping @Sendable (any HookbirdStore, Timestamp) async throws -> T
    ) async throws -> T {
        let store = self.store
        let now = clock()
        guard let timeout = configuration.storageTimeout else { return try await call(store, now) }
        return try await withStorageDeadline(timeout) { try await call(store, now) }
    }

    func reportQueueMetrics(_ state: LoopState) async {
        let depth = Gauge(label: "hookbird_queue_depth")
        let oldest = Gauge(label: "hookbird_queue_oldest_due_age_seconds")
        while !state.stopping.load(ordering: .relaxed), !Task.isCancelled {
            if let statistics = try? await bounded({ store, now in try await store.queueStatistics(now: now) }) {
                depth.record(statistics.depth)
                let age = statistics.oldestDue.map { max(0, clock().microseconds - $0.microseconds) } ?? 0
                oldest.record(Double(age) / 1_000_000)
            }
            try? await Task.sleep(for: configuration.metricsInterval)
        }
    }

    // MARK: - One delivery

    /// Makes one attempt and records it; returns what follows for the delivery (`nil` when nothing was recorded:
    /// postponed by the throttle, or the record failed and the lease brings it back). `sent` is called when the
    /// request is done, before the attempt is recorded. A success that needs nothing more than its record (no
    /// operational webhook) is offered to `recordLater`; when that takes it, it is recorded elsewhere and this
    /// returns at once.
    @discardableResult
    func deliver(
        _ delivery: ClaimedDelivery,
        transport: any DeliveryTransport,
        sent: () -> Void = {},
        recordLater: (DeliveryCompletion) -> Bool = { _ in false }
    ) async -> DeliveryOutcome? {
        let endpoint = delivery.endpoint
        let message = delivery.message
        // The delivery's metadata is built only for what is logged (a logger's own metadata is formatted again
        // on every change, which a delivery that logs nothing should not pay for).
        let logger = DeliveryLogger(logger: self.logger, delivery: delivery)

        if let rate = endpoint.throttleRate, let wait = await throttleWait(endpoint.id, rate: rate, logger: logger) {
            do {
                try await bounded { store, now in
                    try await store.postponeDelivery(id: delivery.id, until: now.adding(wait))
                }
            } catch {
                logger.error("postponing a throttled delivery failed", metadata: ["error": "\(error)"])
            }
            return nil
        }

        let started = clock()
        let webhook = request(for: delivery, at: started)
        let startInstant = ContinuousClock.now
        let result = await transport.send(webhook, timeout: configuration.requestTimeout)
        let elapsed = ContinuousClock.now - startInstant
        sent()
        let durationMs = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        metrics.requestDuration.recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        )

        // Cut off by graceful shutdown (the task was cancelled, and with it the request): nothing is known of this
        // attempt, so none is recorded; the delivery keeps its lease and the next start sends it again. The store
        // would still write a record queued now, and the attempt would count as a failure that never happened.
        if Task.isCancelled, case .failure = result {
            logger.info("delivery cut off by shutdown; it is sent again after the next start")
            return nil
        }
        let now = clock()
        let attempts = delivery.attemptCount + 1
        var statusCode = 0
        var responseText: String
        var failure = RetryPolicy.Failure()
        var succeeded = false
        var gone = false
        let resultLabel: String
        switch result {
        case .response(let status, let retryAfter, let body):
            statusCode = status
            responseText = Self.text(of: body)
            succeeded = (200..<300).contains(status)
            gone = status == 410
            failure.overloaded = status == 429
            failure.retryAfter = retryAfter.flatMap { RetryPolicy.parseRetryAfter($0, now: now) }
            resultLabel = succeeded ? "success" : "http_\(status / 100)xx"
        case .timeout(let reason):
            responseText = reason
            failure.overloaded = true
            resultLabel = "timeout"
        case .blocked(let reason):
            responseText = "blocked: " + reason
            resultLabel = "blocked"
        case .failure(let reason):
            responseText = reason
            resultLabel = "connection_error"
        }
        metrics.attempts(resultLabel).increment()
        if succeeded, delivery.attemptCount == 0 {
            let latency = max(0, now.microseconds - message.createdAt.microseconds)
            metrics.latency.recordMicroseconds(latency)
        }

        let outcome: DeliveryOutcome
        if succeeded {
            outcome = .succeeded
        } else if delivery.trigger == .manual || gone {
            // A manual attempt is never retried; a 410 ends the delivery (and disables the endpoint) without
            // counting as a message that used up its retries.
            outcome = .failed(exhausted: false)
        } else {
            var generator = SystemRandomNumberGenerator()
            if let delay = configuration.retryPolicy.delay(afterAttempts: attempts, failure: failure, using: &generator) {
                outcome = .retry(at: now.adding(delay))
            } else {
                outcome = .failed(exhausted: true)
            }
        }
        let attempt = MessageAttempt(
            id: .generate(at: started),
            messageID: message.id,
            endpointID: endpoint.id,
            appID: message.appID,
            orgID: message.orgID,
            url: endpoint.url,
            response: responseText,
            responseStatusCode: statusCode,
            responseDurationMs: durationMs,
            status: succeeded ? .success : .fail,
            trigger: delivery.trigger,
            timestamp: started
        )
        let completion = DeliveryCompletion(
            deliveryID: delivery.id,
            attempt: attempt,
            outcome: outcome,
            gone: gone,
            disablePolicy: configuration.disablePolicy
        )
        // `message.attempt.recovered` follows a scheduled success after 4 failures (see emitOperationalWebhooks).
        if succeeded, delivery.trigger != .scheduled || attempts < 5, recordLater(completion) { return outcome }
        let effects: CompletionEffects
        do {
            effects = try await bounded { store, _ in try await store.completeDelivery(completion, now: now) }
        } catch {
            // The lease runs out and the delivery is tried again: at least once.
            logger.error("recording an attempt failed", metadata: ["error": "\(error)"])
            return nil
        }
        if !succeeded {
            logger.info("delivery attempt failed", metadata: ["result": "\(resultLabel)", "status": "\(statusCode)"])
        }
        await emitOperationalWebhooks(delivery, attempt: attempt, outcome: outcome, effects: effects, attempts: attempts)
        return outcome
    }

    /// How long a delivery to a throttled endpoint must wait, or `nil` to send now: from the buckets in the
    /// database when the store shares them between nodes (PostgreSQL), so that N nodes together keep to the rate;
    /// otherwise from the in-memory ``Throttle``. When the database cannot answer, the in-memory bucket decides.
    func throttleWait(_ endpoint: EndpointID, rate: Int, logger: DeliveryLogger) async -> Duration? {
        if let sharedThrottle {
            do {
                return try await bounded { _, now in
                    try await sharedThrottle.takeThrottleToken(endpoint: endpoint, rate: rate, now: now)
                }
            } catch {
                logger.warning("the shared throttle failed; throttling in this process", metadata: ["error": "\(error)"])
            }
        }
        return throttle.acquire(endpoint, rate: rate, now: clock())
    }

    static let webhookHeaders = (id: "webhook-id", timestamp: "webhook-timestamp", signature: "webhook-signature")
    static let svixHeaders = (id: "svix-id", timestamp: "svix-timestamp", signature: "svix-signature")

    /// The signed request for an attempt made at `now`.
    func request(for delivery: ClaimedDelivery, at now: Timestamp) -> OutgoingWebhook {
        let body = Array(delivery.message.payload.utf8)
        let timestamp = now.unixSeconds
        let signature = WebhookSigner.signature(
            id: delivery.message.id.rawValue,
            timestamp: timestamp,
            body: body,
            secrets: delivery.endpoint.signingSecrets(at: now)
        )
        let names = configuration.signatureHeaders == .svix ? Self.svixHeaders : Self.webhookHeaders
        var headers: [(String, String)] = []
        headers.reserveCapacity(delivery.endpoint.headers.count + 5)
        if !delivery.endpoint.headers.isEmpty {
            headers += delivery.endpoint.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        headers += [
            ("content-type", "application/json"),
            ("user-agent", configuration.userAgent),
            (names.id, delivery.message.id.rawValue),
            (names.timestamp, String(timestamp)),
            (names.signature, signature),
        ]
        return OutgoingWebhook(
            url: delivery.endpoint.url,
            headers: headers,
            body: body,
            messageID: delivery.message.id.rawValue,
            eventType: delivery.message.eventType
        )
    }

    /// The response body as text: UTF-8 as it is (a character cut by the size limit is dropped), anything else as
    /// base64.
    static func text(of body: [UInt8]) -> String {
        for cut in 0...min(3, body.count) {
            if let text = String(validating: body.dropLast(cut), as: UTF8.self) { return text }
        }
        return Data(body).base64EncodedString()
    }

    func emitOperationalWebhooks(
        _ delivery: ClaimedDelivery,
        attempt: MessageAttempt,
        outcome: DeliveryOutcome,
        effects: CompletionEffects,
        attempts: Int
    ) async {
        let message = delivery.message
        guard message.orgID != OperationalWebhooks.managementOrg else { return }
        let events = DeliveryTransition.operationalEvents(outcome: outcome, trigger: delivery.trigger, attempts: attempts)
        guard !events.isEmpty || effects.disabledEndpoint else { return }
        do {
            let application = try await bounded { store, _ in
                try await store.application(org: message.orgID, idOrUID: message.appID.rawValue)
            }
            let operational = self.operational
            let limit = configuration.storageTimeout ?? .seconds(20)
            for event in events {
                let data = OperationalWebhooks.attemptData(attempt, message: message, application: application)
                try await withStorageDeadline(limit) {
                    try await operational.emit(event, org: message.orgID, data: data)
                }
            }
            if effects.disabledEndpoint {
                var data = OperationalWebhooks.endpointData(delivery.endpoint, application: application)
                data["failSince"] = effects.failingSince.map { .string($0.description) } ?? .null
                let payload = data
                try await withStorageDeadline(limit) {
                    try await operational.emit("endpoint.disabled", org: message.orgID, data: payload)
                }
                logger.warning("endpoint disabled", metadata: ["hookbird.endpoint_id": "\(delivery.endpoint.id)"])
            }
        } catch {
            logger.error("sending an operational webhook failed", metadata: ["error": "\(error)"])
        }
    }
}

/// The delivery loop's view of a storage outage: the first failed claim is logged as an error, later ones only at
/// debug level, and the first claim that works again is logged as the end of the outage. Waits between attempts
/// grow from 100 ms to 5 s, so a dead database is neither hammered nor waited for long once it is back.
struct StorageOutage {
    static let firstBackoff: Duration = .milliseconds(100)
    static let maximumBackoff: Duration = .seconds(5)

    private(set) var failures = 0
    private var started = ContinuousClock.now

    /// Records a failed claim; returns how long to wait before the next one.
    mutating func failed(_ error: any Error, logger: Logger) -> Duration {
        if failures == 0 {
            started = .now
            logger.error(
                "claiming deliveries failed; delivery pauses until the database answers again",
                metadata: ["error": "\(error)"]
            )
        } else {
            logger.debug("claiming deliveries still fails", metadata: ["error": "\(error)", "failures": "\(failures)"])
        }
        failures += 1
        return min(Self.firstBackoff * (1 << min(failures - 1, 10)), Self.maximumBackoff)
    }

    /// Records a claim that worked; ends an outage.
    mutating func recovered(logger: Logger) {
        guard failures > 0 else { return }
        logger.notice(
            "claiming deliveries works again; delivery resumes",
            metadata: ["failures": "\(failures)", "outage": "\(ContinuousClock.now - started)"]
        )
        failures = 0
    }
}

/// Logs about one delivery, with its message, endpoint and attempt as metadata.
struct DeliveryLogger {
    let logger: Logger
    let delivery: ClaimedDelivery

    private func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        extra.merging(
            [
                "hookbird.message_id": "\(delivery.message.id)",
                "hookbird.endpoint_id": "\(delivery.endpoint.id)",
                "hookbird.attempt": "\(delivery.attemptCount + 1)",
            ],
            uniquingKeysWith: { own, _ in own }
        )
    }

    func info(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        logger.info(message(), metadata: self.metadata(metadata()))
    }

    func warning(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        logger.warning(message(), metadata: self.metadata(metadata()))
    }

    func error(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        logger.error(message(), metadata: self.metadata(metadata()))
    }
}

/// The engine's metric handles, made once (the metrics factory is asked for them by label, under a lock).
final class DeliveryMetrics: Sendable {
    let requestDuration = Timer(label: "hookbird_delivery_request_duration_seconds")
    let latency = Timer(label: "hookbird_delivery_latency_seconds")
    private let attemptCounters = Mutex<[String: Counter]>([:])

    /// The attempts counter for one result.
    func attempts(_ result: String) -> Counter {
        attemptCounters.withLock { counters in
            if let counter = counters[result] { return counter }
            let counter = Counter(label: "hookbird_delivery_attempts_total", dimensions: [("result", result)])
            counters[result] = counter
            return counter
        }
    }
}

/// Successes waiting to be recorded together (see `DeliveryService.record`).
final class SuccessRecorder: Sendable {
    private let pending = Mutex<[DeliveryCompletion]>([])
    /// Wakes the recording task when successes arrive.
    let signal = WorkSignal()

    func add(_ completion: DeliveryCompletion) {
        pending.withLock { $0.append(completion) }
        signal.wake()
    }

    /// The oldest `max` successes waiting, taken out.
    func take(max: Int) -> [DeliveryCompletion] {
        pending.withLock { pending in
            guard pending.count > max else {
                defer { pending = [] }
                return pending
            }
            defer { pending.removeFirst(max) }
            return Array(pending.prefix(max))
        }
    }
}

/// What a claim running beside the delivery loop brings back.
struct ClaimResult: Sendable {
    /// When the claim started (its leases run from about then).
    let at: ContinuousClock.Instant
    let claimed: Result<[ClaimedDelivery], any Error>
    /// How long until the next delivery is due, when the claim brought fewer deliveries than it asked for.
    let idle: Duration?
}

/// The delivery loop's shared state.
final class LoopState: Sendable {
    let stopping = Atomic<Bool>(false)
    /// Workers in use: deliveries whose request is in flight (or whose attempt is being recorded, see `recording`).
    let inFlight = Atomic<Int>(0)
    /// Attempts made whose record is being written, having given their worker back.
    let recording = Atomic<Int>(0)
    let claiming = Atomic<Bool>(false)
    let claimResult = Mutex<ClaimResult?>(nil)
}
