//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import AsyncHTTPClient
import Foundation
public import HookbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Sends webhooks with AsyncHTTPClient: HTTP/1.1, no redirects, a deadline per request, at most 20 000 bytes of
/// each response kept, and the SSRF guard applied to the address each connection actually reached, so a DNS
/// answer that changes between check and connect (rebinding) cannot get round it.
public final class HTTPDeliveryTransport: DeliveryTransport {
    /// Most response bytes kept.
    public static let maxResponseBytes = 20_000
    let client: HTTPClient
    let egress: EgressPolicy

    public init(egress: EgressPolicy, maxConnectionsPerHost: Int, connectTimeout: Duration = .seconds(10)) {
        self.egress = egress
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .milliseconds(connectTimeout.components.seconds * 1000))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maxConnectionsPerHost)
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.http1_1ConnectionDebugInitializer = { channel in
            guard let address = channel.remoteAddress, let ip = IPAddress(address.ipAddress ?? "") else {
                return channel.eventLoop.makeFailedFuture(EgressRefused(reason: "the destination address is unknown"))
            }
            if let reason = egress.refusal(for: ip) {
                return channel.eventLoop.makeFailedFuture(EgressRefused(reason: reason))
            }
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func send(_ webhook: OutgoingWebhook, timeout: Duration) async -> TransportResult {
        // A literal address is refused before any connection is made; names are checked on connect.
        if let host = hostOf(webhook.url), let ip = IPAddress(host), let reason = egress.refusal(for: ip) {
            return .blocked(reason)
        }
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        for (name, value) in webhook.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: webhook.body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            var kept: [UInt8] = []
            for try await chunk in response.body where kept.count < Self.maxResponseBytes {
                kept += chunk.readableBytesView.prefix(Self.maxResponseBytes - kept.count)
            }
            return .response(status: Int(response.status.code), retryAfter: response.headers.first(name: "retry-after"), body: kept)
        } catch let error as EgressRefused {
            return .blocked(error.reason)
        } catch let error as HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return .timeout("timed out after \(timeout): \(error)")
            }
            return .failure("\(error)")
        } catch {
            if let refused = Self.findEgressRefusal(error) { return .blocked(refused.reason) }
            return .failure("\(error)")
        }
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    func hostOf(_ url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        var rest = url[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return String(rest)
    }

    static func findEgressRefusal(_ error: any Error) -> EgressRefused? {
        if let refused = error as? EgressRefused { return refused }
        let text = String(reflecting: error)
        guard let range = text.range(of: "EgressRefused(reason: \"") else { return nil }
        let rest = text[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return EgressRefused(reason: String(rest[..<end]))
    }
}

/// The SSRF guard refused the destination.
struct EgressRefused: Error, CustomStringConvertible {
    let reason: String
    var description: String { "blocked: \(reason)" }
}
