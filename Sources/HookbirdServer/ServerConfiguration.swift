//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

public import HookbirdCore
import HookbirdDelivery
public import HookbirdPostgres
public import HookbirdSQLite
public import HookbirdStorage
public import Logging

/// Where Hookbird keeps its data, parsed from `--database`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL database, which several nodes may share.
    case postgres(PostgresLocation)

    /// Parses `sqlite:PATH` (relative to the working directory, or absolute) or a PostgreSQL URL,
    /// `postgres://user:password@host:port/database` (also `postgresql://`, with `?sslmode=disable|require|verify-full`,
    /// or `?host=/socket/directory` for a unix socket).
    /// - Throws: ``ConfigurationError`` for anything else.
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw ConfigurationError("--database sqlite: needs a file path, e.g. sqlite:hookbird.sqlite") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            do {
                self = .postgres(try PostgresLocation(url: text))
            } catch let error as PostgresLocationError {
                throw ConfigurationError("--database: \(error.description)")
            }
        } else {
            throw ConfigurationError(
                "--database must be sqlite:PATH or postgres://user:password@host:port/database, e.g. sqlite:hookbird.sqlite; got '\(text)'"
            )
        }
    }

    /// The location for logs: a PostgreSQL password is not shown.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.description
        }
    }
}

/// A configuration problem, reported to the user as it is.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Everything `hookbird serve` is configured with.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    public var durability: SQLiteStore.Durability
    /// PostgreSQL: the connections in this node's pool (`--database-pool`); the `LISTEN` connection comes on top.
    public var databasePool: Int = 10
    public var adminToken: String?
    public var jwtSecret: String?
    public var maxBody: Int
    public var httpsOnly: Bool
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    public var logLevel: Logger.Level
    /// The delivery engine's settings.
    public var delivery: DeliveryConfiguration
    /// What this process does: the API, the delivery engine, or both.
    public var role: ServerRole
    /// Proxies whose `X-Forwarded-For` is believed by the inbound gateway.
    public var trustedProxies: [IPRange]
    /// The base URL providers and users reach Hookbird at; `nil` = from `--host`, `--port` and TLS.
    public var publicURL: String?
    /// Seals the secrets kept in the database (`--secrets-key`); by default they are stored as they are.
    public var secrets: SecretsCipher = .plaintext

    /// Seals the secrets with `secretsKey` (`--secrets-key`), still opening those sealed with a previous key; throws
    /// when a key is not one.
    public mutating func sealSecrets(with secretsKey: String, previousKeys: [String]) throws {
        secrets = try SecretsCipher(secretsKey: secretsKey, previousKeys: previousKeys)
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8071,
        database: DatabaseLocation = .sqlite(path: "hookbird.sqlite"),
        durability: SQLiteStore.Durability = .full,
        adminToken: String? = nil,
        jwtSecret: String? = nil,
        maxBody: Int = 1 << 20,
        httpsOnly: Bool = false,
        tlsCertificatePath: String? = nil,
        tlsKeyPath: String? = nil,
        logLevel: Logger.Level = .info,
        delivery: DeliveryConfiguration = DeliveryConfiguration(),
        role: ServerRole = .all,
        trustedProxies: [IPRange] = [],
        publicURL: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.durability = durability
        self.adminToken = adminToken
        self.jwtSecret = jwtSecret
        self.maxBody = maxBody
        self.httpsOnly = httpsOnly
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.logLevel = logLevel
        self.delivery = delivery
        self.role = role
        self.trustedProxies = trustedProxies
        self.publicURL = publicURL
    }

    /// The base URL shown in sources' `ingestUrl`.
    public var effectivePublicURL: String {
        if let publicURL { return publicURL }
        let scheme = tlsCertificatePath == nil ? "http" : "https"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost):\(port)"
    }
}

extension ServerConfiguration {
    /// Whether the delivery engine runs in this process.
    public var runWorkers: Bool { role.runsWorkers }

    /// Checks that the role fits the database: an SQLite file belongs to one process, which caches what it reads,
    /// so a `worker` node on SQLite would never see what another process (an `api` node) writes. A lone `api`
    /// node on SQLite is allowed: it accepts messages, which a later `all` process delivers.
    /// - Throws: ``ConfigurationError`` for `--role worker` on SQLite.
    public func validateRole() throws {
        if case .sqlite = database, role == .worker {
            throw ConfigurationError(
                "--role worker needs a PostgreSQL --database: an SQLite file is used by one process only, so a separate worker would not see the messages another process accepts; run --role all"
            )
        }
    }

    /// Parses a `--durability` value: `full` or `normal`.
    public static func durability(named name: String) -> SQLiteStore.Durability? {
        SQLiteStore.Durability(rawValue: name)
    }
}
