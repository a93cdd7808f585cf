//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore

/// Filters of the stored-request list.
public struct InboundRequestFilter: Sendable, Hashable {
    public var outcome: InboundOutcome?

    public init(outcome: InboundOutcome? = nil) { self.outcome = outcome }
}

/// Inbound sources and the requests they received.
public protocol SourceStore: Sendable {
    /// - Throws: `StorageError.duplicate("uid")`.
    func insertSource(_ source: Source) async throws
    /// Finds a source of an organisation by id or uid.
    func source(org: OrganizationID, idOrUID: String) async throws -> Source?
    /// Finds a source by id or uid across organisations, for `/webhook/{source}` (source uids are unique).
    func source(idOrUID: String) async throws -> Source?
    func listSources(org: OrganizationID, range: ListRange) async throws -> [Source]
    /// - Throws: `StorageError.notFound` or `.duplicate("uid")`.
    func updateSource(_ source: Source) async throws
    func deleteSource(org: OrganizationID, id: SourceID) async throws

    /// Stores a received request and, when it is accepted, its message and deliveries, in one transaction.
    /// An accepted request whose event id the source has accepted before is stored as a duplicate instead, and no
    /// message is made.
    /// - Returns: The request as stored (its outcome may have become `duplicate`).
    func recordInboundRequest(_ request: StoredInboundRequest, message: Message?) async throws -> StoredInboundRequest
    func inboundRequest(source: SourceID, id: InboundRequestID) async throws -> StoredInboundRequest?
    func listInboundRequests(source: SourceID, filter: InboundRequestFilter, range: ListRange) async throws
        -> [StoredInboundRequest]
    /// Counts of the source's requests by outcome, and of refused ones by reason.
    func inboundCounts(source: SourceID) async throws -> (outcomes: [InboundOutcome: Int], refusedReasons: [String: Int])
}
