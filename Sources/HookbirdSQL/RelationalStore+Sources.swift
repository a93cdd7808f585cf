//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
public import HookbirdStorage
import NIOCore
import SQLKit

extension RelationalStore {
    public func insertSource(_ source: Source) async throws {
        let settings = try secrets.seal(StoredValues.json(source.settings))
        try await changing(.sources) { database in
            try await database.rows(
                """
                INSERT INTO sources (\(unsafeRaw: StoredRows.sourceColumns)) VALUES (
                    \(bind: source.id.rawValue), \(bind: source.orgID.rawValue), \(bind: source.appID.rawValue),
                    \(bind: source.uid), \(bind: source.name), \(bind: settings),
                    \(bind: StoredValues.json(source.allowedIPs)), \(bind: source.maxBody),
                    \(bind: source.createdAt.microseconds), \(bind: source.updatedAt.microseconds))
                """
            )
        }
    }

    public func source(org: OrganizationID, idOrUID: String) async throws -> Source? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.sourceColumns) FROM sources
            WHERE org_id = \(bind: org.rawValue) AND NOT deleted AND (id = \(bind: idOrUID) OR uid = \(bind: idOrUID))
            ORDER BY id = \(bind: idOrUID) DESC LIMIT 1
            """
        ).first.map { StoredRows.source($0, secrets: secrets) }
    }

    public func source(idOrUID: String) async throws -> Source? { try await selectSource(idOrUID: idOrUID) }

    /// Reads a source by id or uid across organisations (``source(idOrUID:)`` without a backend's cache).
    package func selectSource(idOrUID: String) async throws -> Source? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.sourceColumns) FROM sources
            WHERE NOT deleted AND (id = \(bind: idOrUID) OR uid = \(bind: idOrUID)) ORDER BY id = \(bind: idOrUID) DESC
            LIMIT 1
            """
        ).first.map { StoredRows.source($0, secrets: secrets) }
    }

    public func listSources(org: OrganizationID, range: ListRange) async throws -> [Source] {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.sourceColumns) FROM sources
            WHERE org_id = \(bind: org.rawValue) AND NOT deleted\(range.window("id"))
            """
        ).map { StoredRows.source($0, secrets: secrets) }
    }

    public func updateSource(_ source: Source) async throws {
        let settings = try secrets.seal(StoredValues.json(source.settings))
        let rows = try await changing(.sources) { database in
            try await database.rows(
                """
                UPDATE sources SET app_id = \(bind: source.appID.rawValue), uid = \(bind: source.uid),
                name = \(bind: source.name), settings = \(bind: settings),
                allowed_ips = \(bind: StoredValues.json(source.allowedIPs)), max_body = \(bind: source.maxBody),
                updated_at = \(bind: source.updatedAt.microseconds)
                WHERE id = \(bind: source.id.rawValue) AND org_id = \(bind: source.orgID.rawValue) AND NOT deleted
                RETURNING id
                """
            )
        }
        if rows.isEmpty { throw StorageError.notFound("source") }
    }

    public func deleteSource(org: OrganizationID, id: SourceID) async throws {
        let rows = try await changing(.sources) { database in
            try await database.rows(
                """
                UPDATE sources SET deleted = \(bind: true), uid = NULL
                WHERE id = \(bind: id.rawValue) AND org_id = \(bind: org.rawValue) AND NOT deleted RETURNING id
                """
            )
        }
        if rows.isEmpty { throw StorageError.notFound("source") }
    }

    public func inboundRequest(source: SourceID, id: InboundRequestID) async throws -> StoredInboundRequest? {
        try await read(
            """
            SELECT \(unsafeRaw: StoredRows.inboundColumns) FROM inbound_requests
            WHERE source_id = \(bind: source.rawValue) AND id = \(bind: id.rawValue)
            """
        ).first.map { StoredRows.inboundRequest($0) }
    }

    public func listInboundRequests(source: SourceID, filter: InboundRequestFilter, range: ListRange) async throws
        -> [StoredInboundRequest]
    {
        var sql: SQLQueryString = """
            SELECT \(unsafeRaw: StoredRows.inboundColumns) FROM inbound_requests WHERE source_id = \(bind: source.rawValue)
            """
        if let outcome = filter.outcome { sql += " AND outcome = \(bind: outcome.rawValue)" }
        return try await read(sql + range.window("id")).map { StoredRows.inboundRequest($0) }
    }

    public func inboundCounts(source: SourceID) async throws
        -> (outcomes: [InboundOutcome: Int], refusedReasons: [String: Int])
    {
        var outcomes: [InboundOutcome: Int] = [:]
        var reasons: [String: Int] = [:]
        for row in try await read(
            """
            SELECT outcome, reason, COUNT(*) AS n FROM inbound_requests WHERE source_id = \(bind: source.rawValue)
            GROUP BY outcome, reason
            """
        ) {
            guard let outcome = InboundOutcome(rawValue: row.string("outcome")) else { continue }
            outcomes[outcome, default: 0] += row.int("n")
            if outcome == .refused { reasons[row.optionalString("reason") ?? "unknown", default: 0] += row.int("n") }
        }
        return (outcomes, reasons)
    }
}
