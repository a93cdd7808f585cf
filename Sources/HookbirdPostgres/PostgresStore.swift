//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
public import HookbirdCore
public import HookbirdSQL
public import HookbirdStorage
public import Logging
import NIOCore
import PostgresKit
import PostgresNIO
public import SQLKit
public import ServiceLifecycle
import Synchronization
import _ConnectionPoolModule

/// The scale-out backend: one PostgreSQL database shared by every Hookbird node, reached through a pool of
/// connections (`PostgresClient`).
///
/// Unlike `SQLiteStore` it keeps no state between calls in memory: several processes write the same database, so
/// a cached application, fan-out list or set of failing endpoints could be stale. Every read goes to the database.
/// Deliveries are claimed with `FOR UPDATE SKIP LOCKED`, so workers on any number of nodes never claim the same
/// delivery. A commit that queues deliveries signals this process's ``workSignal`` at once and asks the
/// ``WorkNotifier`` for a `NOTIFY hookbird_work`, sent after the commit and at most once every few milliseconds,
/// which wakes idle workers on the other nodes (a `NOTIFY` inside the transaction would take PostgreSQL's
/// database-wide notify lock until the commit is flushed, serialising every node's commits).
///
/// The store is a `Service`: its ``run()`` runs the connection pool, the listener and the notifier until graceful
/// shutdown (it is the first service of the server's group, so it stops last). Queries made before it runs wait for
/// it.
///
/// ```swift
/// let store = try await PostgresStore.open(location: PostgresLocation(url: "postgres://hookbird@localhost/hookbird"))
/// let group = ServiceGroup(services: [store, application], …)
/// ```
public final class PostgresStore: RelationalStore, Service {
    /// The channel a commit that queued work is announced on.
    static let workChannel = "hookbird_work"

    let client: PostgresClient
    /// A few connections whose commits do not wait for the disk (`synchronous_commit = off`), for the delivery
    /// engine's bookkeeping: claims and attempt records. See ``Pool``.
    let bookkeeping: PostgresClient
    let logger: Logger
    /// How long an operation may wait for a pooled connection before it fails with `StorageError.unavailable`.
    let acquireTimeout: Duration
    public let workSignal: WorkSignal
    /// Where fresh deliveries go straight to this node's delivery engine, leased to it in the statement that
    /// accepts their message (see ``insertMessages(_:)``); the composition root gives the engine this hand-off.
    public let handOff: DeliveryHandOff
    /// Sends the `NOTIFY` that wakes other nodes, after commits that queued work.
    let notifier = WorkNotifier()
    /// Applications new messages went to lately, for ``applicationForNewMessage(org:idOrUID:)``: 5 s.
    let applicationsForMessages = RecentReads<Application>(lifetime: .seconds(5))
    /// Message inserts of concurrent requests, written together: one statement per batch, a few batches in flight.
    let messageBatcher = StatementBatcher<Message, Int>(maxBatch: 256, concurrency: 4)
    /// Seals the secrets the store writes and opens the ones it reads.
    public let secrets: SecretsCipher
    /// This process among the nodes on the database, for ``ListenerRegistry``: new at every start.
    let nodeID = "node_" + String(EndpointID.generate().rawValue.dropFirst(3))
    /// This process's number in the `nodes` table, written on every lease it takes (see ``keepAlive()``): new at
    /// every start.
    let nodeKey = Int64.random(in: 1...Int64.max)

    public var flavor: SQLFlavor { .postgres }

    private init(
        client: PostgresClient,
        bookkeeping: PostgresClient,
        acquireTimeout: Duration,
        secrets: SecretsCipher,
        logger: Logger
    ) {
        self.client = client
        self.bookkeeping = bookkeeping
        self.secrets = secrets
        self.acquireTimeout = acquireTimeout
        self.logger = logger
        let workSignal = WorkSignal()
        self.workSignal = workSignal
        self.handOff = DeliveryHandOff(signal: workSignal)
    }

    /// Connects to the database and checks that it answers; the pool starts with ``run()``.
    ///
    /// The pool logs only errors (a server that is down would otherwise log every reconnection attempt); failures
    /// reach callers as ``StorageError``.
    /// - Parameters:
    ///   - location: The server, credentials, database and TLS mode.
    ///   - maximumConnections: The size of the pool (one more connection is taken by the listener).
    ///   - connectTimeout: How long connecting may take.
    ///   - acquireTimeout: How long an operation may wait for a pooled connection. While the server is down the
    ///     pool keeps requests waiting (for up to a minute, until its circuit breaker trips) instead of failing
    ///     them; past this deadline the operation fails with `StorageError.unavailable` (HTTP 503) instead.
    ///   - secrets: Seals secrets at rest (see ``SecretsCipher``); by default they are stored as they are.
    ///   - logger: Where the store logs.
    /// - Throws: `StorageError.unavailable` when the database cannot be reached or refuses the credentials.
    public static func open(
        location: PostgresLocation,
        maximumConnections: Int = 10,
        connectTimeout: Duration = .seconds(15),
        acquireTimeout: Duration = .seconds(5),
        secrets: SecretsCipher = .plaintext,
        logger: Logger = Logger(label: "hookbird.postgres")
    ) async throws -> PostgresStore {
        var quietLogger = logger
        quietLogger.logLevel = max(logger.logLevel, .error)
        // One connection first, so that a wrong address, database or password fails now with the server's reason,
        // instead of the pool retrying in the background.
        do {
            let connection = try await PostgresConnection.connect(
                on: PostgresClient.defaultEventLoopGroup.any(),
                configuration: location.connectionConfiguration(connectTimeout: connectTimeout),
                id: 0,
                logger: quietLogger
            ).get()
            try await connection.close()
        } catch {
            throw StorageError.unavailable("cannot connect to PostgreSQL at \(location): \(describe(error))")
        }
        var configuration = location.clientConfiguration()
        configuration.options.maximumConnections = maximumConnections + 1
        configuration.options.connectTimeout = connectTimeout
        let client = PostgresClient(configuration: configuration, backgroundLogger: quietLogger)
        configuration.options.maximumConnections = Self.bookkeepingConnections
        configuration.options.additionalStartupParameters = [("synchronous_commit", "off")]
        let bookkeeping = PostgresClient(configuration: configuration, backgroundLogger: quietLogger)
        return PostgresStore(
            client: client,
            bookkeeping: bookkeeping,
            acquireTimeout: acquireTimeout,
            secrets: secrets,
            logger: logger
        )
    }

    /// What went wrong, without the generic text `PSQLError` gives to avoid leaking queries.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }

    /// Runs the pool, the listener and the notifier until graceful shutdown or cancellation, then closes every
    /// connection.
    ///
    /// The pools run outside the service group's graceful shutdown: `PostgresClient.run()` ends at its first signal
    /// (`cancelWhenGracefulShutdown`), and they must outlive it, for the batches still queued and for ``leave()``,
    /// which hands back what the stopped delivery engine held. They stop once this store has finished, or when its
    /// task is cancelled.
    public func run() async throws {
        let client = self.client
        let bookkeeping = self.bookkeeping
        let pools = Task.detached {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                group.addTask { await bookkeeping.run() }
            }
        }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listen() }
                group.addTask { await self.notifier.run(store: self) }
                await withTaskGroup(of: Void.self) { living in
                    living.addTask { await self.keepAlive() }
                    // Batches still queued at shutdown are written before the pool closes.
                    await withTaskGroup(of: Void.self) { batches in
                        batches.addTask { await self.messageBatcher.run { await self.insertMessages($0) } }
                        try? await gracefulShutdown()
                        self.messageBatcher.stop()
                    }
                    // The heartbeat ends before the node leaves: a beat after `leave()` would write its row again.
                    living.cancelAll()
                }
                // The delivery engine has stopped (the store stops last): what it still held goes back to the others.
                await self.leave()
                group.cancelAll()
            }
        } onCancel: {
            pools.cancel()
        }
        pools.cancel()
        await pools.value
    }

    /// Listens on ``workChannel`` on one pooled connection for as long as the store runs, signalling ``workSignal``
    /// for every notification from another node (and once whenever listening (re)starts, in case one was missed
    /// meanwhile). While the database is down it retries every second and logs once per outage.
    private func listen() async {
        var failing = false
        let signal = workSignal
        let nodeID = self.nodeID
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.workChannel) { notifications in
                        if failing {
                            self.logger.notice("PostgreSQL listener connected again")
                            failing = false
                        }
                        signal.signal()
                        for try await notification in notifications where notification.payload != nodeID {
                            signal.signal()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                if !failing {
                    logger.warning(
                        "PostgreSQL listener failed; retrying every second",
                        metadata: ["error": "\(Self.describe(error))"]
                    )
                    failing = true
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    // MARK: - RelationalStore

    public func read(_ query: SQLQueryString) async throws -> [any SQLRow] {
        do {
            return try await withConnection { connection in try await connection.sql(queryLogLevel: nil).rows(query) }
        } catch {
            throw Self.translate(error)
        }
    }

    /// A lone statement commits by itself: no `BEGIN`/`COMMIT` around it.
    @discardableResult
    public func write(_ query: SQLQueryString) async throws -> [any SQLRow] { try await read(query) }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        try await transaction { (connection: PostgresConnection) in try await body(connection.sql(queryLogLevel: nil)) }
    }

    public func invalidate(_ tables: ChangedTables) {
        if tables.contains(.applications) { applicationsForMessages.clear() }
    }

    public func deliveriesQueued() {
        workSignal.signal()
        notifier.request()
    }

    /// What this node may claim: not the deliveries of a listener connected to another node.
    public func claimableFilter(now: Timestamp) -> SQLQueryString {
        """
         AND endpoint_id NOT IN (SELECT endpoint_id FROM listener_connections
         WHERE node_id <> \(bind: nodeID) AND expires_at > \(bind: now.microseconds))
        """
    }
}
