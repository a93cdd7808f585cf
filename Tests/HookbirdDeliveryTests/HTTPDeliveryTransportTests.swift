//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
@testable import HookbirdDelivery
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct HTTPDeliveryTransportTests {
    /// A socket listening on a free loopback port (the kernel completes connections to it; nothing is accepted).
    static func listen() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try #require(bind(fd, raw, length) == 0)
                try #require(Glibc.listen(fd, 16) == 0)
                try #require(getsockname(fd, raw, &length) == 0)
            }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// The check on the address a connection reached (a DNS answer that changed since the pre-check) refuses the
    /// delivery as blocked, recognised by the error's type.
    @Test func aConnectionToARefusedAddressIsBlocked() async throws {
        let (fd, port) = try Self.listen()
        defer { close(fd) }
        let transport = HTTPDeliveryTransport(egress: EgressPolicy(), maxConnectionsPerHost: 1)
        let url = "http://127.0.0.1:\(port)/hook"
        // As if the pre-check had seen a public address.
        try transport.keepTarget(url)
        let webhook = OutgoingWebhook(url: url, headers: [], body: Array("{}".utf8))
        let result = await transport.send(webhook, timeout: .seconds(5))
        await transport.shutdown()
        guard case .blocked(let reason) = result else {
            Issue.record("expected blocked, got \(result)")
            return
        }
        #expect(reason == EgressPolicy().refusal(for: IPAddress("127.0.0.1")!))
    }

    /// Without the kept target, the pre-check refuses the same URL before connecting, with the same reason.
    @Test func thePreCheckRefusesALiteralAddress() async throws {
        let transport = HTTPDeliveryTransport(egress: EgressPolicy(), maxConnectionsPerHost: 1)
        let result = await transport.send(
            OutgoingWebhook(url: "http://127.0.0.1:9/hook", headers: [], body: []),
            timeout: .seconds(5)
        )
        await transport.shutdown()
        guard case .blocked(let reason) = result else {
            Issue.record("expected blocked, got \(result)")
            return
        }
        #expect(reason == EgressPolicy().refusal(for: IPAddress("127.0.0.1")!))
    }
}
