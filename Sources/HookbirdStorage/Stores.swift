//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import ServiceLifecycle

/// Applications of an organisation. Soft-deleted applications are invisible to every method.
public protocol ApplicationStore: Sendable {
    /// - Throws: `StorageError.duplicate("uid")` when the uid is taken in the organisation.
    func insertApplication(_ application: Application) async throws
    /// Finds an application by id or uid.
    func application(org: OrganizationID, idOrUID: String) async throws -> Application?
    func listApplications(org: OrganizationID, range: ListRange) async throws -> [Application]
    /// - Throws: `StorageError.notFound` or `.duplicate("uid")`.
    func updateApplication(_ application: Application) async throws
    /// Soft-deletes the application and frees its uid.
    func deleteApplication(org: OrganizationID, id: ApplicationID) async throws
}

/// Event types of an organisation, keyed by name.
public protocol EventTypeStore: Sendable {
    /// - Throws: `StorageError.duplicate("name")`.
    func insertEventType(_ eventType: EventType) async throws
    func eventType(org: OrganizationID, name: String) async throws -> EventType?
    func listEventTypes(org: OrganizationID, includeArchived: Bool, range: ListRange) async throws -> [EventType]
    /// - Throws: `StorageError.notFound`.
    func updateEventType(_ eventType: EventType) async throws
    /// Removes the event type for good (`expunge`).
    func expungeEventType(org: OrganizationID, name: String) async throws
    /// The names among `names` that are not existing, unarchived event types of the organisation.
    func unknownEventTypes(org: OrganizationID, names: [String]) async throws -> [String]
}

/// Endpoints of an application. Soft-deleted endpoints are invisible to every method.
public protocol EndpointStore: Sendable {
    /// - Throws: `StorageError.duplicate("uid")`.
    func insertEndpoint(_ endpoint: Endpoint) async throws
    /// Finds an endpoint of the application by id or uid.
    func endpoint(app: ApplicationID, idOrUID: String) async throws -> Endpoint?
    func listEndpoints(app: ApplicationID, range: ListRange) async throws -> [Endpoint]
    /// - Throws: `StorageError.notFound` or `.duplicate("uid")`.
    func updateEndpoint(_ endpoint: Endpoint) async throws
    /// Soft-deletes the endpoint and frees its uid.
    func deleteEndpoint(app: ApplicationID, id: EndpointID) async throws
}

/// Filters of the message list.
public struct MessageFilter: Sendable, Hashable {
    public var eventTypes: [String]?
    public var channel: String?

    public init(eventTypes: [String]? = nil, channel: String? = nil) {
        self.eventTypes = eventTypes
        self.channel = channel
    }
}

/// Messages and the queue of their deliveries.
public protocol MessageStore: Sendable {
    /// Persists the message and one pending delivery for every endpoint of its application that accepts it
    /// (``Endpoint/accepts(eventType:channels:)``), in one transaction that is durable when this returns.
    /// - Returns: The number of deliveries queued.
    /// - Throws: `StorageError.duplicate("eventId")` when the application already has a message with its event id;
    ///   `StorageError.notFound("application")` when its application no longer exists.
    @discardableResult
    func insertMessage(_ message: Message) async throws -> Int
    /// Finds a message of the application by id or event id.
    func message(app: ApplicationID, idOrEventID: String) async throws -> Message?
    func listMessages(app: ApplicationID, filter: MessageFilter, range: ListRange) async throws -> [Message]
    /// Finds the message created with an idempotency key.
    func message(app: ApplicationID, idempotencyKey: String) async throws -> Message?
    /// Finds the application a new message goes to, by id or uid. A backend may answer from what it read a few
    /// seconds ago (PostgreSQL: another node may have changed the application meanwhile), because
    /// ``insertMessage(_:)`` checks that the application still exists and refuses the message with
    /// `StorageError.notFound("application")` when it does not. The default is ``ApplicationStore/application(org:idOrUID:)``.
    func applicationForNewMessage(org: OrganizationID, idOrUID: String) async throws -> Application?
}

extension MessageStore where Self: ApplicationStore {
    public func applicationForNewMessage(org: OrganizationID, idOrUID: String) async throws -> Application? {
        try await application(org: org, idOrUID: idOrUID)
    }
}

/// Filters of the attempt lists.
public struct AttemptFilter: Sendable, Hashable {
    public var endpointID: EndpointID?
    public var messageID: MessageID?
    public var status: MessageStatus?
    /// 0, 100, 200, 300, 400 or 500: the class of the response status code.
    public var statusCodeClass: Int?
    public var eventTypes: [String]?
    public var channel: String?

    public init(
        endpointID: EndpointID? = nil,
        messageID: MessageID? = nil,
        status: MessageStatus? = nil,
        statusCodeClass: Int? = nil,
        eventTypes: [String]? = nil,
        channel: String? = nil
    ) {
        self.endpointID = endpointID
        self.messageID = messageID
        self.status = status
        self.statusCodeClass = statusCodeClass
        self.eventTypes = eventTypes
        self.channel = channel
    }
}

/// The record of delivery attempts.
public protocol AttemptStore: Sendable {
    func listAttempts(app: ApplicationID, filter: AttemptFilter, range: ListRange) async throws -> [MessageAttempt]
    func attempt(app: ApplicationID, message: MessageID, id: AttemptID) async throws -> MessageAttempt?
    /// Counts of the endpoint's deliveries by status, for those created in `[since, until]`.
    func deliveryCounts(endpoint: EndpointID, since: Timestamp, until: Timestamp) async throws -> [MessageStatus: Int]
    /// Counts of the endpoint's attempts by status, for those made in `[since, until]`.
    func attemptCounts(endpoint: EndpointID, since: Timestamp, until: Timestamp) async throws -> [MessageStatus: Int]
}

/// A stored response to replay for a repeated `Idempotency-Key`.
public struct IdempotentResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The outcome of looking up an idempotency key.
public enum IdempotencyState: Sendable, Hashable {
    /// The caller now holds the key and must complete or release it.
    case acquired
    /// Another request with the key is in progress.
    case inProgress
    /// A request with the key finished; replay this.
    case completed(IdempotentResponse)
}

/// The idempotency cache: the first 2xx response to a POST, kept for a while and replayed.
public protocol IdempotencyStore: Sendable {
    /// Takes the key if it is free (or its lock has expired), or reports what holds it.
    func acquireIdempotencyKey(_ key: String, now: Timestamp, lockTimeout: Duration) async throws -> IdempotencyState
    /// Stores the response for the key until `expiresAt`.
    func completeIdempotencyKey(_ key: String, response: IdempotentResponse, expiresAt: Timestamp) async throws
    /// Frees the key after a response that is not kept.
    func releaseIdempotencyKey(_ key: String) async throws
}

/// Server settings kept in the database, such as a generated JWT secret.
public protocol SettingsStore: Sendable {
    func setting(_ name: String) async throws -> String?
    /// Stores `value` unless a value is there already; returns the stored value.
    func insertSettingIfAbsent(_ name: String, value: String) async throws -> String
}

/// Everything Hookbird keeps, behind one backend.
///
/// A store is a `Service`: its `run()` owns the backend's background work (connections, the writer, wake-ups) from
/// the moment the server's `ServiceGroup` starts it (first) until graceful shutdown (it stops last), and closes the
/// database when it returns. Calls made before it runs wait for it. Outside a server, ``withRunning(_:)`` runs it
/// around a piece of work.
public protocol HookbirdStore: ApplicationStore, EventTypeStore, EndpointStore, MessageStore, AttemptStore,
    IdempotencyStore, SettingsStore, DeliveryQueue, SourceStore, DashboardSessionStore,
    SecretsAtRestStore, Service
{
    /// Applies the schema migrations that have not run yet.
    func migrate() async throws
}

extension HookbirdStore {
    /// Runs the store (``run()``) while `body` runs, then stops it and waits until it has closed the database: for
    /// commands and tests that use a store without a server.
    public func withRunning<T: Sendable>(_ body: @Sendable (Self) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            do {
                let result = try await body(self)
                group.cancelAll()
                try await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}
