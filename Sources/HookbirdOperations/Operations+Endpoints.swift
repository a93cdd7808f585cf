//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import HookbirdStorage
public import Logging

extension Operations {
    package static let endpointUIDTaken = OperationsError.conflict("An endpoint with that uid already exists")

    /// Stores a changed endpoint.
    /// - Throws: ``OperationsError`` 409 when its uid is taken.
    package func update(_ endpoint: Endpoint) async throws {
        do {
            try await store.updateEndpoint(endpoint)
        } catch let error as StorageError where error.isDuplicate {
            throw Self.endpointUIDTaken
        }
    }

    /// Stores a changed endpoint and sends `endpoint.updated`.
    /// - Throws: ``OperationsError`` 409 when its uid is taken.
    public func save(_ endpoint: Endpoint, application: HookbirdCore.Application, logger: Logger) async throws {
        try await update(endpoint)
        await emit("endpoint.updated", endpoint, application: application, logger: logger)
    }

    /// Disables or enables an endpoint, as `PATCH {"disabled": …}` does.
    /// - Returns: The endpoint as stored.
    public func setDisabled(_ disabled: Bool, endpoint: Endpoint, application: HookbirdCore.Application, logger: Logger)
        async throws
        -> Endpoint
    {
        var endpoint = endpoint
        endpoint.disabled = disabled
        endpoint.updatedAt = .now
        try await save(endpoint, application: application, logger: logger)
        return endpoint
    }

    /// Rotates the signing secret. The old one keeps signing beside the new one for `gracePeriodSeconds`
    /// (default 24 h); at most ten old secrets may be in their grace period at once.
    /// - Parameters:
    ///   - key: The new secret (`whsec_…`), or `nil` for a generated one of the same kind.
    /// - Returns: The new secret.
    /// - Throws: ``OperationsError`` for a bad key or grace period, ``OperationsError`` 400 `limit_reached`.
    public func rotateSecret(
        of endpoint: Endpoint,
        application: HookbirdCore.Application,
        key: String?,
        gracePeriodSeconds: Int?,
        logger: Logger
    ) async throws -> EndpointSecret {
        var endpoint = endpoint
        let grace = gracePeriodSeconds ?? 86_400
        guard (0...604_800).contains(grace) else {
            throw OperationsError.invalid(["body", "gracePeriodSeconds"], "gracePeriodSeconds must be 0 to 604800")
        }
        let newSecret: EndpointSecret
        if let key {
            guard let parsed = EndpointSecret.parsingInput(key) else {
                throw OperationsError.invalid(
                    ["body", "key"],
                    "key must be the base64 of 24 to 75 bytes, optionally after 'whsec_' (or 'whsk_' and an ed25519 key)"
                )
            }
            newSecret = parsed
        } else {
            // A new key of the same kind: an ed25519 endpoint stays ed25519.
            newSecret = endpoint.secret.kind == .ed25519 ? .generateEd25519() : .generate()
        }
        let now = Timestamp.now
        var retired = endpoint.retiredSecrets.filter { $0.expiresAt > now }
        if grace > 0 {
            guard retired.count < 10 else {
                throw OperationsError.rejected("limit_reached", "There can only be up to 10 unexpired old secrets.")
            }
            retired.insert(.init(secret: endpoint.secret, expiresAt: now.adding(seconds: Int64(grace))), at: 0)
        }
        endpoint.retiredSecrets = retired
        endpoint.secret = newSecret
        endpoint.updatedAt = now
        try await save(endpoint, application: application, logger: logger)
        return newSecret
    }

    /// Re-sends, as manual attempts, the messages of `[since, until)` whose delivery to the endpoint failed (or was
    /// cancelled when it was disabled) and never succeeded. The window is at most 14 days.
    /// - Returns: The number of deliveries queued.
    public func recover(endpoint: Endpoint, since: Timestamp, until: Timestamp?, logger: Logger) async throws -> Int {
        let window = try Self.window(since: since, until: until, maxAge: 14 * 86_400)
        let count = try await store.recoverFailedDeliveries(
            endpoint: endpoint,
            since: window.since,
            until: window.until,
            now: .now
        )
        logger.info("recover queued \(count) deliveries", metadata: ["hookbird.endpoint_id": "\(endpoint.id)"])
        return count
    }

    /// Sends, as manual attempts, the messages of `[since, until)` that were never queued for the endpoint: sent
    /// while it was disabled, or filtered out by its event types or channels. The window is at most 90 days.
    /// - Returns: The number of deliveries queued.
    public func replayMissing(endpoint: Endpoint, since: Timestamp, until: Timestamp?, logger: Logger) async throws
        -> Int
    {
        let window = try Self.window(since: since, until: until, maxAge: 90 * 86_400)
        let count = try await store.replayMissingDeliveries(
            endpoint: endpoint,
            since: window.since,
            until: window.until,
            now: .now
        )
        logger.info("replay-missing queued \(count) deliveries", metadata: ["hookbird.endpoint_id": "\(endpoint.id)"])
        return count
    }

    /// The window of a recover or replay: `until` defaults to now and is at most an hour ahead; `since` must be
    /// earlier, by at most `maxAge` seconds.
    package static func window(since: Timestamp, until: Timestamp?, maxAge: Int64) throws -> (
        since: Timestamp, until: Timestamp
    ) {
        let now = Timestamp.now
        let until = min(until ?? now, now.adding(seconds: 3600))
        guard since < until else {
            throw OperationsError.invalid(["body", "since"], "since must be earlier than until")
        }
        guard until.microseconds - since.microseconds <= (maxAge + 300) * 1_000_000 else {
            throw OperationsError.invalid(["body", "since"], "since must be at most \(maxAge / 86_400) days before until")
        }
        return (since, until)
    }
}
