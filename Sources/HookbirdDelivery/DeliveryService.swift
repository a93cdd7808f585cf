//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
public import Logging
public import ServiceLifecycle

/// The delivery engine: claims due deliveries from the queue table, signs and sends them, records every attempt,
/// and retries, fails or disables by the policies.
///
/// Its decisions are made by ``DeliveryScheduler``, a state machine; ``run()`` carries out its actions. At most
/// `workers` requests are in flight. New messages wake the loop at once through the store's ``WorkSignal``;
/// otherwise it sleeps until the next delivery is due. Every claim is a lease: a delivery claimed by a process that
/// died is claimed again when its lease runs out. On graceful shutdown it stops claiming, lets in-flight requests
/// finish for up to `shutdownTimeout`, and leaves the rest leased for the next start.
///
/// One clock, `C`, times requests and the scheduler's timers and stamps the records (``SystemClock`` in production;
/// tests move a test clock by hand).
///
/// ```swift
/// let engine = DeliveryService(store: store, makeTransport: { HTTPDeliveryTransport(egress: .init()) },
///                              configuration: DeliveryConfiguration(workers: 32), logger: logger)
/// serviceGroup = ServiceGroup(services: [store, engine], logger: logger)   // the store runs first
/// ```
public struct DeliveryService<C: Clock>: Service where C.Instant == Timestamp {
    let store: any HookbirdStore
    /// Where the store hands fresh deliveries straight to this engine, if it does.
    let handOff: DeliveryHandOff?
    /// The throttle buckets the nodes share (PostgreSQL); without, this process throttles in memory.
    let sharedThrottle: (any SharedThrottle)?
    let makeTransport: @Sendable () -> any DeliveryTransport
    let configuration: DeliveryConfiguration
    let logger: Logger
    let clock: C
    let throttle = Throttle()
    let operational: OperationalWebhooks
    let metrics = DeliveryMetrics()
    /// Where the API and the dashboard read what the engine does for an endpoint.
    let activity: EndpointActivity?

    /// - Parameters:
    ///   - store: The queue and everything it refers to.
    ///   - handOff: Where the store hands fresh deliveries to the engine without a claim (`SQLiteStore.handOff`,
    ///     `PostgresStore.handOff`).
    ///   - sharedThrottle: Throttle buckets kept in the database for every node (`PostgresStore`); `nil` throttles
    ///     in memory.
    ///   - makeTransport: Makes what sends the requests (``HTTPDeliveryTransport`` in production); it is made when
    ///     the service starts and shut down when it stops.
    ///   - configuration: Workers, timeouts and policies.
    ///   - activity: Where the API and the dashboard ask what the engine does for an endpoint.
    ///   - logger: Where the engine logs; endpoint secrets never appear in it.
    ///   - clock: The one clock of the engine.
    public init(
        store: any HookbirdStore,
        handOff: DeliveryHandOff? = nil,
        sharedThrottle: (any SharedThrottle)? = nil,
        makeTransport: @escaping @Sendable () -> any DeliveryTransport,
        configuration: DeliveryConfiguration,
        activity: EndpointActivity? = nil,
        logger: Logger,
        clock: C
    ) {
        self.activity = activity
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
        await releaseLeasesAtStart()
        let engine = EngineState(
            DeliveryScheduler(.init(configuration), handOff: handOff != nil, now: clock.now),
            signal: store.workSignal,
            transport: makeTransport()
        )
        handOff?.open(lease: configuration.lease, room: configuration.workers)
        activity?.attach { endpoint in engine.update { $0.snapshot(endpoint) } }
        defer { activity?.detach() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await reportQueueMetrics(engine) }
                group.addTask { await record(engine.recorder, engine: engine) }
                loop: while !Task.isCancelled {
                    if engine.signal.takeClaimRequest() { engine.update { $0.workQueued() } }
                    switch engine.update({ $0.next(now: clock.now) }) {
                    case .start(let deliveries, let waited):
                        metrics.waitedForSlots(waited)
                        for delivery in deliveries { group.addTask { await work(delivery, engine: engine) } }
                    case .takeHandOff(let limit):
                        let handed = handOff?.take(limit: limit) ?? []
                        engine.update { $0.handedOff(handed, asked: limit, now: clock.now) }
                    case .claim(let limit, let excluding):
                        group.addTask { await claim(limit: limit, excluding: excluding, engine: engine) }
                    case .release(let ids):
                        group.addTask { await release(ids) }
                    case .wait(let until):
                        await wait(until: until, engine: engine)
                        engine.update { $0.woke() }
                    case .stop:
                        break loop
                    }
                }
                // Graceful shutdown: no new claims; in-flight requests get `shutdownTimeout` to finish. Handed-off
                // and claimed deliveries not started keep their lease, and so do those of a claim that comes back
                // now: the next start releases them (a lease runs out on PostgreSQL).
                handOff?.close()
                await drain(engine, until: clock.now.adding(configuration.shutdownTimeout))
                group.cancelAll()
            }
        } onGracefulShutdown: {
            engine.update { $0.shutdownRequested() }
            engine.signal.wake()
        }
        handOff?.close()
        await engine.transport.shutdown()
    }
}

extension DeliveryService where C == SystemClock {
    /// The engine on the system's clock; see ``init(store:handOff:sharedThrottle:makeTransport:configuration:logger:clock:)``.
    public init(
        store: any HookbirdStore,
        handOff: DeliveryHandOff? = nil,
        sharedThrottle: (any SharedThrottle)? = nil,
        makeTransport: @escaping @Sendable () -> any DeliveryTransport,
        configuration: DeliveryConfiguration,
        activity: EndpointActivity? = nil,
        logger: Logger
    ) {
        self.init(
            store: store,
            handOff: handOff,
            sharedThrottle: sharedThrottle,
            makeTransport: makeTransport,
            configuration: configuration,
            activity: activity,
            logger: logger,
            clock: SystemClock()
        )
    }
}
