//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import NIOSSL
public import PostgresNIO

/// A PostgreSQL database to connect to, parsed from a connection URL.
///
/// Accepted forms:
/// - `postgres://user:password@host:port/database` (also `postgresql://`); the port defaults to 5432;
/// - `?sslmode=disable` (the default), `require` (TLS, certificate not checked) or `verify-full` (TLS, certificate
///   and host name checked against the system's trust roots);
/// - a unix socket: `postgres://user@/database?host=/var/run/postgresql&port=5432` (the socket file is
///   `<host>/.s.PGSQL.<port>`, as libpq finds it).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    public var host: String?
    public var port: Int
    /// The directory holding the server's socket, for a unix-socket connection.
    public var socketDirectory: String?
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Parses a connection URL.
    /// - Throws: ``PostgresLocationError`` describing what is wrong.
    public init(url text: String) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text)
        else {
            throw PostgresLocationError(
                "a PostgreSQL URL looks like postgres://user:password@host:5432/database; got '\(Self.redacted(text))'"
            )
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        guard host != nil || socketDirectory != nil else {
            throw PostgresLocationError("the PostgreSQL URL names no host (nor ?host=/socket/directory)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw PostgresLocationError("the PostgreSQL URL names no database: postgres://user@host/DATABASE")
        }
        guard let username = components.user, !username.isEmpty else {
            throw PostgresLocationError("the PostgreSQL URL names no user: postgres://USER@host/database")
        }
        let mode = query["sslmode"] ?? "disable"
        guard let tls = TLSMode(rawValue: mode) else {
            throw PostgresLocationError(
                "the PostgreSQL URL's sslmode must be disable, require or verify-full; got '\(mode)'"
            )
        }
        self.host = host
        self.port = components.port ?? query["port"].flatMap { Int($0) } ?? 5432
        self.socketDirectory = socketDirectory
        self.username = username.removingPercentEncoding ?? username
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
    }

    /// The same server and credentials, another database (tests make one per case).
    public func with(database: String) -> PostgresLocation {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL without its password, for logs.
    public var description: String {
        let credentials = password == nil ? username : "\(username):***"
        if let socketDirectory { return "postgres://\(credentials)@/\(database)?host=\(socketDirectory)" }
        let tlsPart = tls == .disable ? "" : "?sslmode=\(tls.rawValue)"
        return "postgres://\(credentials)@\(host ?? ""):\(port)/\(database)\(tlsPart)"
    }

    /// `text` with the password of a URL replaced, for error messages.
    static func redacted(_ text: String) -> String {
        guard let components = URLComponents(string: text), components.password != nil else { return text }
        var copy = components
        copy.password = "***"
        return copy.string ?? "postgres://…"
    }

    /// The pool's configuration (also how the tests' kit connects to create and drop databases).
    public func clientConfiguration() -> PostgresClient.Configuration {
        if let socketDirectory {
            return PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)",
                username: username,
                password: password,
                database: database
            )
        }
        return PostgresClient.Configuration(
            host: host ?? "localhost",
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tlsConfiguration().map { .require($0) } ?? .disable
        )
    }

    /// The configuration of a single connection (to check, before starting a pool, that the server answers).
    func connectionConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)",
                username: username,
                password: password,
                database: database
            )
        } else {
            configuration = PostgresConnection.Configuration(
                host: host ?? "localhost",
                port: port,
                username: username,
                password: password,
                database: database,
                tls: try tlsConfiguration().map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
            )
        }
        configuration.options.connectTimeout = .seconds(connectTimeout.components.seconds)
        return configuration
    }

    /// TLS as `sslmode` asks: none, encryption without checking the certificate, or a checked certificate.
    private func tlsConfiguration() -> TLSConfiguration? {
        switch tls {
        case .disable:
            return nil
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return configuration
        case .verifyFull:
            return .makeClientConfiguration()
        }
    }
}

/// A PostgreSQL URL that cannot be used.
public struct PostgresLocationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
