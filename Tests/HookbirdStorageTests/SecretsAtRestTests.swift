//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdCore
import HookbirdStorage
import HookbirdTesting
import Testing

@Suite("Secrets at rest")
struct SecretsAtRestTests {
    static let key = try! SecretsCipher(secretsKey: "k3y-for-the-tests-0123456789abcdef")
    static let otherKey = try! SecretsCipher(secretsKey: "another-key-for-the-tests-0123456789")

    // MARK: The cipher

    @Test func sealedTextOpensWithItsKeyOnly() throws {
        let sealed = try Self.key.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(sealed.hasPrefix("hbenc1:"))
        #expect(!sealed.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(try Self.key.open(sealed) == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(try Self.key.seal("same") != Self.key.seal("same"))  // a fresh nonce each time
        #expect(throws: SecretsKeyError.wrongKey) { try Self.otherKey.open(sealed) }
        #expect(throws: SecretsKeyError.missing) { try SecretsCipher.plaintext.open(sealed) }
        // A changed byte is refused, not opened to something else.
        var bytes = Array(sealed.utf8)
        bytes[bytes.count - 5] = bytes[bytes.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SecretsKeyError.wrongKey) { try Self.key.open(String(decoding: bytes, as: UTF8.self)) }
    }

    @Test func previousKeysOpenButDoNotSeal() throws {
        let rotating = try SecretsCipher(
            secretsKey: "another-key-for-the-tests-0123456789",
            previousKeys: ["k3y-for-the-tests-0123456789abcdef"]
        )
        let old = try Self.key.seal("whsec_old")
        #expect(try rotating.open(old) == "whsec_old")
        #expect(try Self.otherKey.open(rotating.reseal(old)) == "whsec_old")  // sealed again with the current key
        #expect(throws: SecretsKeyError.wrongKey) { try Self.key.open(rotating.seal("new")) }
        #expect(rotating.fingerprint == Self.otherKey.fingerprint && rotating.fingerprint != Self.key.fingerprint)
        #expect(SecretsCipher.plaintext.fingerprint == nil)
        #expect(rotating.isCurrent(try rotating.seal("x")) && !rotating.isCurrent(old) && !rotating.isCurrent("x"))
    }

    @Test func plaintextIsReadAsItIs() throws {
        #expect(try Self.key.open("whsec_plain") == "whsec_plain")
        #expect(try SecretsCipher.plaintext.seal("whsec_plain") == "whsec_plain")
        #expect(try Self.key.open(Self.key.reseal("x")) == "x")
        #expect(throws: SecretsKeyError.tooShort) { try SecretsCipher(secretsKey: "too short") }
    }

    // MARK: The stores

    /// An application, an endpoint with a retired secret, a source and a generated setting.
    static func fill(_ store: any HookbirdStore) async throws -> (Application, Endpoint, Source) {
        let app = Make.application()
        try await store.insertApplication(app)
        var endpoint = Make.endpoint(app)
        endpoint.retiredSecrets = [.init(secret: .generate(), expiresAt: Timestamp.now.adding(seconds: 3600))]
        try await store.insertEndpoint(endpoint)
        let source = IdempotencyAndSourceTests.source(app, uid: "gh")
        try await store.insertSource(source)
        _ = try await store.insertSettingIfAbsent("jwt_secret", value: "generated-jwt-secret")
        return (app, endpoint, source)
    }

    /// What the tables hold where secrets are kept.
    static func storedSecrets(_ store: any HookbirdStore) async throws -> [String] {
        try await TestBackend.storedText(store, "SELECT secret AS v FROM endpoints")
            + TestBackend.storedText(store, "SELECT retired_secrets AS v FROM endpoints")
            + TestBackend.storedText(store, "SELECT settings AS v FROM sources")
            + TestBackend.storedText(store, "SELECT value AS v FROM settings")
    }

    /// The store gives the secrets back as they were written, whichever way they are read.
    static func expectReadBack(_ store: any HookbirdStore, _ app: Application, _ endpoint: Endpoint, _ source: Source)
        async throws
    {
        let read = try await store.endpoint(app: app.id, idOrUID: endpoint.id.rawValue)
        #expect(read?.secret == endpoint.secret)
        #expect(read?.retiredSecrets == endpoint.retiredSecrets)
        let listed = try await store.listEndpoints(app: app.id, range: ListRange(order: .ascending, limit: 10))
        #expect(listed.map(\.secret) == [endpoint.secret])
        #expect(try await store.source(idOrUID: "gh")?.settings == source.settings)
        #expect(try await store.setting("jwt_secret") == "generated-jwt-secret")
        // The delivery engine's path: the claimed delivery signs with the endpoint's secret.
        _ = try await store.insertMessage(Make.message(app, at: .now))
        let claimed = try await store.claimDeliveries(
            now: Timestamp.now.adding(seconds: 1),
            limit: 10,
            lease: .seconds(60)
        )
        #expect(claimed.map(\.endpoint.secret) == [endpoint.secret])
    }

    @Test(arguments: TestBackend.available)
    func withAKeyEverySecretIsStoredSealed(_ backend: TestBackend) async throws {
        try await backend.withReopenableStore { open in
            let store = try await open(Self.key)
            #expect(try await store.prepareSecrets() == 0)
            let (app, endpoint, source) = try await Self.fill(store)
            let stored = try await Self.storedSecrets(store)
            #expect(stored.count == 5)  // secret, retired secrets, source settings, jwt_secret, the key's record
            for text in stored {
                #expect(text.hasPrefix("hbenc1:"))
                for plaintext in [endpoint.secret.encoded, "s3cret", "generated"] { #expect(!text.contains(plaintext)) }
            }
            try await Self.expectReadBack(store, app, endpoint, source)

            // A dashboard notice may show a new secret: it is stored sealed too.
            let session = StoredDashboardSession(
                idDigest: "d",
                csrfToken: "c",
                orgID: app.orgID.rawValue,
                appID: nil,
                expiresAt: Timestamp.now.adding(seconds: 60)
            )
            try await store.insertDashboardSession(session, now: .now)
            try await store.setDashboardFlash(idDigest: "d", "The new secret is whsec_abc", isError: false)
            let notice = try await TestBackend.storedText(store, "SELECT flash AS v FROM dashboard_sessions")
            #expect(notice.count == 1 && notice.allSatisfy { $0.hasPrefix("hbenc1:") && !$0.contains("whsec_abc") })
            #expect(try await store.dashboardSession(idDigest: "d", now: .now)?.flash == "The new secret is whsec_abc")
        }
    }

    @Test(arguments: TestBackend.available)
    func aKeyGivenLaterSealsWhatWasStoredBefore(_ backend: TestBackend) async throws {
        try await backend.withReopenableStore { open in
            let plain = try await open(.plaintext)
            #expect(try await plain.prepareSecrets() == 0)
            let (app, endpoint, source) = try await Self.fill(plain)
            #expect(try await Self.storedSecrets(plain).allSatisfy { !$0.hasPrefix("hbenc1:") })

            let sealed = try await open(Self.key)
            #expect(try await sealed.prepareSecrets() == 3)  // the endpoint's row, the source's, jwt_secret
            #expect(try await Self.storedSecrets(sealed).allSatisfy { $0.hasPrefix("hbenc1:") })
            #expect(try await sealed.prepareSecrets() == 0)  // the next start finds nothing left to seal
            try await Self.expectReadBack(sealed, app, endpoint, source)
        }
    }

    @Test(arguments: TestBackend.available)
    func sealedSecretsNeedTheirKey(_ backend: TestBackend) async throws {
        try await backend.withReopenableStore { open in
            let first = try await open(Self.key)
            _ = try await first.prepareSecrets()
            let withoutKey = try await open(.plaintext)
            await #expect(throws: SecretsKeyError.missing) { try await withoutKey.prepareSecrets() }
            let withAnotherKey = try await open(Self.otherKey)
            await #expect(throws: SecretsKeyError.wrongKey) { try await withAnotherKey.prepareSecrets() }
        }
    }

    @Test(arguments: TestBackend.available)
    func aNewKeyWithThePreviousOneSealsEverythingAgain(_ backend: TestBackend) async throws {
        try await backend.withReopenableStore { open in
            let first = try await open(Self.key)
            _ = try await first.prepareSecrets()
            let (app, endpoint, source) = try await Self.fill(first)
            let before = try await Self.storedSecrets(first)

            let rotating = try SecretsCipher(
                secretsKey: "another-key-for-the-tests-0123456789",
                previousKeys: ["k3y-for-the-tests-0123456789abcdef"]
            )
            let rotated = try await open(rotating)
            #expect(try await rotated.prepareSecrets() == 4)  // endpoint, source, jwt_secret, the key's record
            let after = try await Self.storedSecrets(rotated)
            #expect(after.count == before.count && Set(after).isDisjoint(with: before))
            #expect(try await rotated.prepareSecrets() == 0)

            // During a rolling change a node not yet switched (old key current, new one beside it) may still write
            // with the old key; the next start with the new key seals that again too.
            let lagging = try await open(try SecretsCipher(
                secretsKey: "k3y-for-the-tests-0123456789abcdef",
                previousKeys: ["another-key-for-the-tests-0123456789"]
            ))
            let otherApp = Make.application()
            try await lagging.insertApplication(otherApp)
            try await lagging.insertEndpoint(Make.endpoint(otherApp))
            #expect(try await open(rotating).prepareSecrets() == 1)

            // Now the new key alone opens everything, and the old one alone is refused.
            let newOnly = try await open(Self.otherKey)
            #expect(try await newOnly.prepareSecrets() == 0)
            try await Self.expectReadBack(newOnly, app, endpoint, source)
            let oldOnly = try await open(Self.key)
            await #expect(throws: SecretsKeyError.wrongKey) { try await oldOnly.prepareSecrets() }
        }
    }
}
