//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import Testing

@Suite struct WebhookSignerTests {
    // The Standard Webhooks / Svix documentation vector.
    static let secret = EndpointSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = Array(#"{"test": 2432232314}"#.utf8)
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    @Test func knownAnswer() {
        let signature = WebhookSigner.signature(
            id: Self.id,
            timestamp: Self.timestamp,
            body: Self.body,
            secrets: [Self.secret]
        )
        #expect(signature == Self.expected)
    }

    @Test func bodyMayBeAnyByteSequence() {
        let text = #"{"test": 2432232314}"#
        #expect(
            WebhookSigner.signature(id: Self.id, timestamp: Self.timestamp, body: text.utf8, secrets: [Self.secret])
                == Self.expected
        )
        #expect(
            WebhookSigner.signature(
                id: Self.id,
                timestamp: Self.timestamp,
                body: Data(text.utf8),
                secrets: [Self.secret]
            ) == Self.expected
        )
    }

    @Test func verifyAcceptsTheVector() {
        #expect(
            WebhookSigner.verify(
                id: Self.id,
                timestamp: Self.timestamp,
                body: Self.body,
                signatureHeader: Self.expected,
                secret: Self.secret
            )
        )
    }

    @Test func verifyRejectsTampering() throws {
        let other = try #require(EndpointSecret("whsec_" + Data(repeating: 7, count: 24).base64EncodedString()))
        func verify(
            id: String = Self.id,
            timestamp: Int64 = Self.timestamp,
            body: [UInt8] = Self.body,
            header: String = Self.expected,
            secret: EndpointSecret = Self.secret
        ) -> Bool {
            WebhookSigner.verify(id: id, timestamp: timestamp, body: body, signatureHeader: header, secret: secret)
        }
        #expect(!verify(body: Array(#"{"test": 2432232315}"#.utf8)), "tampered body")
        #expect(!verify(body: Array(#"{"test":2432232314}"#.utf8)), "re-serialised body")
        #expect(!verify(body: []), "empty body")
        #expect(!verify(secret: other), "another secret")
        #expect(!verify(timestamp: Self.timestamp + 1), "another timestamp")
        #expect(!verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJel"), "another id")
        #expect(!verify(header: ""), "no signature")
        #expect(!verify(header: "v1,"), "empty signature")
        #expect(!verify(header: "v2," + Self.expected.dropFirst(3)), "unknown version")
        #expect(!verify(header: "v1a," + Self.expected.dropFirst(3)), "asymmetric version")
        #expect(!verify(header: String(Self.expected.dropFirst(3))), "no version")
        #expect(!verify(header: "v1,not-base64!"), "garbage")
        #expect(!verify(header: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="), "one bit off")
    }

    @Test func verifyAcceptsAnyMatchingEntry() {
        let headers = [
            "v1,bm9wZQ== " + Self.expected,
            Self.expected + " v1,bm9wZQ==",
            "v1a,xyz " + Self.expected,
            "garbage  " + Self.expected,
        ]
        for header in headers {
            #expect(
                WebhookSigner.verify(
                    id: Self.id,
                    timestamp: Self.timestamp,
                    body: Self.body,
                    signatureHeader: header,
                    secret: Self.secret
                ),
                "\(header)"
            )
        }
    }

    @Test func multipleSecretsGiveSpaceSeparatedSignaturesInOrder() throws {
        let second = try #require(EndpointSecret("whsec_" + Data(repeating: 1, count: 32).base64EncodedString()))
        let third = EndpointSecret.generate()
        let all = WebhookSigner.signature(
            id: Self.id,
            timestamp: Self.timestamp,
            body: Self.body,
            secrets: [Self.secret, second, third]
        )
        let entries = all.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        #expect(entries.count == 3)
        #expect(entries[0] == Self.expected)
        for (entry, secret) in zip(entries, [Self.secret, second, third]) {
            #expect(
                entry
                    == WebhookSigner.signature(
                        id: Self.id,
                        timestamp: Self.timestamp,
                        body: Self.body,
                        secrets: [secret]
                    )
            )
            #expect(entry.hasPrefix("v1,"))
            // Every key verifies the combined header: a receiver holding any one of them accepts it.
            #expect(
                WebhookSigner.verify(
                    id: Self.id,
                    timestamp: Self.timestamp,
                    body: Self.body,
                    signatureHeader: all,
                    secret: secret
                )
            )
        }
        #expect(WebhookSigner.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: []) == "")
    }
}

@Suite struct EndpointSecretTests {
    static func secret(bytes count: Int) -> String {
        "whsec_" + Data((0..<count).map { UInt8($0 & 0xFF) }).base64EncodedString()
    }

    @Test func parsesTheDocumentedSecret() throws {
        let secret = try #require(EndpointSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(secret.key.count == 24)
        #expect(secret.encoded == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(Data(secret.key).base64EncodedString() == "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    }

    @Test(arguments: [24, 25, 32, 64, 75])
    func acceptsKeysOf24To75Bytes(_ count: Int) throws {
        let secret = try #require(EndpointSecret(Self.secret(bytes: count)))
        #expect(secret.key.count == count)
        #expect(secret.key == (0..<count).map { UInt8($0) })
    }

    @Test(arguments: [0, 1, 16, 23, 76, 100])
    func rejectsOtherKeySizes(_ count: Int) {
        #expect(EndpointSecret(Self.secret(bytes: count)) == nil)
    }

    @Test(arguments: [
        "",
        "whsec_",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  // no prefix
        "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whpk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        " whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",  // not base64
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",  // truncated base64
        "whsec_MfKQ9r8G KYqrTwjUPD8ILPZIo2LaLaSw",
    ])
    func rejectsMalformedSecrets(_ text: String) {
        #expect(EndpointSecret(text) == nil)
    }

    @Test func generatedSecretsAre24RandomBytes() throws {
        let first = EndpointSecret.generate()
        let second = EndpointSecret.generate()
        #expect(first != second)
        #expect(first.key.count == 24)
        #expect(first.encoded.hasPrefix("whsec_"))
        #expect(first.encoded.count == 38)
        #expect(EndpointSecret(first.encoded) == first)
    }

    @Test func descriptionNeverShowsTheKey() throws {
        let secret = try #require(EndpointSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let material = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let renderings = [
            secret.description,
            "\(secret)",
            String(describing: secret),
            String(reflecting: secret),
            "\([secret])",
            "\(Optional(secret) as Any)",
            "\(Endpoint.RetiredSecret(secret: secret, expiresAt: .now))",
            "\(Fixtures.endpoint(secret: secret))",
        ]
        for text in renderings {
            #expect(!text.contains(material), "\(text)")
            #expect(!text.contains(String(material.prefix(8))), "\(text)")
        }
        #expect(secret.description == "whsec_***")
        let generated = EndpointSecret.generate()
        #expect(!"\(generated)".contains(generated.encoded.dropFirst(6)))
    }

    @Test func codableUsesTheEncodedForm() throws {
        let secret = try #require(EndpointSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let data = try JSONEncoder().encode([secret])
        #expect(String(decoding: data, as: UTF8.self) == #"["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]"#)
        #expect(try JSONDecoder().decode([EndpointSecret].self, from: data) == [secret])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([EndpointSecret].self, from: Data(#"["whsec_short"]"#.utf8))
        }
    }
}
