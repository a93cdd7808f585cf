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
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Sends webhooks with AsyncHTTPClient: HTTP/1.1, no redirects, one deadline for the whole exchange (response body
/// included), at most 20 000 bytes of each response read, and the SSRF guard applied twice: to every address the
/// host name resolves to before connecting (so nothing is learnt about internal ports; kept for 30 s per URL), and
/// to the address each connection actually reached, so a DNS answer that changes between check and connect
/// (rebinding) cannot get round it.
public final class HTTPDeliveryTransport: DeliveryTransport {
    /// Most response bytes kept.
    public static let maxResponseBytes = 20_000
    /// How long the target of a URL (its parsed request and its pre-connection check) is kept.
    static let precheckLifetime: Duration = .seconds(30)
    /// Most URLs whose target is kept (all are dropped when there are more).
    static let maxTargets = 10_000
    let client: HTTPClient
    let egress: EgressPolicy
    private let targets = Mutex<[String: Target]>([:])

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
        // No request spans: Hookbird does not trace requests, and the spans and attributes of the default (no-op)
        // tracer cost 7–12 % of the CPU of a delivery (two servers draining side by side).
        configuration.tracing.tracer = nil
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
        let target: Target
        switch await self.target(for: webhook.url) {
        case .success(let found): target = found
        case .failure(let error): return .failure("\(error)")
        }
        if let reason = target.refusal { return .blocked(reason) }
        var headers = HTTPHeaders()
        headers.reserveCapacity(webhook.headers.count + 2)
        for (name, value) in webhook.headers { headers.add(name: name, value: value) }
        var request = target.request
        request.headers = headers
        request.body = .bytes(webhook.body)
        // One future for the whole exchange: AsyncHTTPClient's deadline covers the response body too, and the
        // delegate keeps the first bytes of the body and stops reading after them.
        let delegate = CappedResponse(limit: Self.maxResponseBytes)
        let task = client.execute(
            request: request,
            delegate: delegate,
            deadline: .now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                + timeout.components.attoseconds / 1_000_000_000)
        )
        do {
            return try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch is CappedResponse.Full {
            return delegate.result
        } catch let error as EgressRefused {
            // The check on the address the connection reached (AsyncHTTPClient fails the request with the error of
            // its connection's initialiser, as it is).
            return .blocked(error.reason)
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            return .timeout("timed out after \(timeout)")
        } catch {
            return .failure("\(error)")
        }
    }

    /// The addresses a host name resolves to, or `nil` when it does not resolve (the connection attempt then
    /// reports the error).
    static func resolve(_ host: String) async -> [IPAddress]? {
        try? await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
            defer { freeaddrinfo(list) }
            var addresses: [IPAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if let sockaddr = entry.pointee.ai_addr {
                    // sockaddr_in: family, port, then the 4 address bytes; sockaddr_in6: family, port, flow info,
                    // then the 16 address bytes.
                    let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(sockaddr), count: Int(entry.pointee.ai_addrlen))
                    switch entry.pointee.ai_family {
                    case AF_INET where raw.count >= 8:
                        if let address = IPAddress(bytes: Array(raw[4..<8])) { addresses.append(address) }
                    case AF_INET6 where raw.count >= 24:
                        if let address = IPAddress(bytes: Array(raw[8..<24])) { addresses.append(address) }
                    default:
                        break
                    }
                }
                cursor = entry.pointee.ai_next
            }
            return addresses
        } ?? nil
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// What sending to a URL needs: the request parsed from it (headers and body are set per delivery), and why its
    /// host may not be contacted, if so.
    struct Target: Sendable {
        let request: HTTPClient.Request
        /// From the host's address or every address its name resolves to; `nil` when it may be contacted (or when
        /// the name does not resolve: the connection attempt reports that).
        let refusal: String?
        let until: ContinuousClock.Instant
    }

    /// The target of a URL, kept for ``precheckLifetime`` so that a delivery does not parse its URL and resolve its
    /// host name every time. A kept pre-check cannot open anything: the check on the address each connection
    /// actually reached decides, on every new connection.
    func target(for url: String) async -> Result<Target, any Error> {
        let now = ContinuousClock.now
        if let kept = targets.withLock({ $0[url] }), now < kept.until { return .success(kept) }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: .POST)
        } catch {
            return .failure(error)
        }
        var refusal: String?
        if let host = hostOf(url) {
            if let ip = IPAddress(host) {
                refusal = egress.refusal(for: ip)
            } else if egress.enabled {
                // Not resolved: not kept, asked again next time.
                guard let addresses = await Self.resolve(host) else {
                    return .success(Target(request: request, refusal: nil, until: now))
                }
                for address in addresses {
                    if let reason = egress.refusal(for: address) {
                        refusal = "\(host) resolves to \(reason)"
                        break
                    }
                }
            }
        }
        let target = Target(request: request, refusal: refusal, until: now + Self.precheckLifetime)
        targets.withLock { targets in
            if targets.count >= Self.maxTargets { targets.removeAll(keepingCapacity: true) }
            targets[url] = target
        }
        return .success(target)
    }

    func hostOf(_ url: String) -> String? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        var rest = url[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return String(rest)
    }

    /// Keeps `request` as the target of `url` with no refusal, as a pre-check that let it through would (for tests
    /// of the check on the address each connection reaches).
    func keepTarget(_ url: String) throws {
        let target = Target(
            request: try HTTPClient.Request(url: url, method: .POST),
            refusal: nil,
            until: ContinuousClock.now + Self.precheckLifetime
        )
        targets.withLock { $0[url] = target }
    }
}

/// Keeps a response's status, `Retry-After` and the first `limit` bytes of its body; when the body has more, it
/// stops reading by failing the request with ``Full`` (the caller then takes ``result``). AsyncHTTPClient calls it
/// on the request's event loop only.
final class CappedResponse: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = TransportResult

    /// The body reached the limit; what was kept is the result.
    struct Full: Error {}

    let limit: Int
    private var status = 0
    private var retryAfter: String?
    private var kept: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
    }

    var result: TransportResult { .response(status: status, retryAfter: retryAfter, body: kept) }

    func didReceiveHead(task: HTTPClient.Task<TransportResult>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        retryAfter = head.headers.first(name: "retry-after")
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<TransportResult>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        kept += buffer.readableBytesView.prefix(limit - kept.count)
        guard kept.count < limit else { return task.eventLoop.makeFailedFuture(Full()) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<TransportResult>) throws -> TransportResult { result }
}

/// The SSRF guard refused the destination.
struct EgressRefused: Error, CustomStringConvertible {
    let reason: String
    var description: String { "blocked: \(reason)" }
}
