//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation

/// Seals the secrets Hookbird keeps in its database: endpoints' signing secrets (the retired ones too), sources'
/// settings (the providers' secrets) and server settings (the generated JWT secret), so that a copy of the database
/// (a backup, a replica, a stolen file) does not let anyone sign webhooks, forge a provider's or mint API tokens.
///
/// AES-256-GCM (swift-crypto) with a key derived by HKDF-SHA256 from the operator's `--secrets-key`; a sealed value is
/// stored as `hbenc1:` and the base64 of nonce, ciphertext and tag. Without a key values are stored as they are.
/// A value that is not sealed is read as it is, so a database from before encryption was turned on stays readable
/// until ``SecretsAtRestStore/sealPlaintextSecrets()`` has sealed it.
public struct SecretsCipher: Sendable {
    static let prefix = "hbenc1:"
    /// The smallest key accepted, in bytes of its UTF-8.
    public static let minimumKeyLength = 32

    private let key: SymmetricKey?

    /// Stores secrets as they are.
    public static let plaintext = SecretsCipher(key: nil)

    private init(key: SymmetricKey?) { self.key = key }

    /// A cipher with the key derived from `secretsKey`.
    /// - Throws: ``SecretsKeyError`` when the key is shorter than ``minimumKeyLength`` bytes.
    public init(secretsKey: String) throws {
        guard secretsKey.utf8.count >= Self.minimumKeyLength else { throw SecretsKeyError.tooShort }
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(secretsKey.utf8)),
            salt: Data("hookbird secrets at rest".utf8),
            info: Data("hbenc1".utf8),
            outputByteCount: 32
        )
    }

    /// Whether values are sealed (a key was given).
    public var seals: Bool { key != nil }

    /// Whether a stored value is sealed.
    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// A `LIKE` pattern that matches sealed values.
    public static let sealedPattern = prefix + "%"

    /// A stored value sealed: `stored` itself when it is sealed already.
    public func sealIfPlain(_ stored: String) throws -> String {
        Self.isSealed(stored) ? stored : try seal(stored)
    }

    /// What to store for `text`: sealed with the key, or `text` itself without one.
    public func seal(_ text: String) throws -> String {
        guard let key else { return text }
        let box = try AES.GCM.seal(Data(text.utf8), using: key)
        guard let combined = box.combined else { throw SecretsKeyError.wrongKey }  // only for non-default nonces
        return Self.prefix + combined.base64EncodedString()
    }

    /// The plaintext of a stored value: a sealed one opened with the key, any other as it is.
    /// - Throws: ``SecretsKeyError/missing`` for a sealed value without a key, ``SecretsKeyError/wrongKey`` when
    ///   the key does not open it.
    public func open(_ stored: String) throws -> String {
        guard Self.isSealed(stored) else { return stored }
        guard let key else { throw SecretsKeyError.missing }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))),
            let box = try? AES.GCM.SealedBox(combined: data),
            let plaintext = try? AES.GCM.open(box, using: key)
        else { throw SecretsKeyError.wrongKey }
        return String(decoding: plaintext, as: UTF8.self)
    }
}

/// Why the database's secrets cannot be used with the key given.
public enum SecretsKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The key is too short to be a key.
    case tooShort
    /// The database holds sealed secrets and no key was given.
    case missing
    /// The database's secrets were sealed with another key.
    case wrongKey

    public var description: String {
        switch self {
        case .tooShort:
            "--secrets-key must be at least \(SecretsCipher.minimumKeyLength) bytes (e.g. `openssl rand -base64 32`)"
        case .missing:
            "the database's secrets are encrypted: give the --secrets-key (HOOKBIRD_SECRETS_KEY) they were encrypted "
                + "with"
        case .wrongKey:
            "the database's secrets were encrypted with another --secrets-key (HOOKBIRD_SECRETS_KEY)"
        }
    }
}

/// Encryption of the secrets already stored.
public protocol SecretsAtRestStore: Sendable {
    /// The cipher the store seals and opens secrets with.
    var secrets: SecretsCipher { get }
    /// Seals, in one transaction, every secret still stored as plaintext (endpoints' secrets and retired secrets,
    /// sources' settings, server settings) and returns how many values it sealed. Does nothing without a key.
    func sealPlaintextSecrets() async throws -> Int
}

extension SecretsAtRestStore where Self: SettingsStore {
    /// The name of the setting that proves the key: a known text sealed with it.
    static var keyCheckSetting: String { "secrets_key_check" }

    /// Checks the key against the database and seals what is still plaintext; run at start, after migrating.
    ///
    /// With a key: the database's check value must open with it (a database whose secrets were sealed with
    /// another key is refused), and a database that has none yet gets its secrets sealed and the check stored.
    /// Without a key: a database with sealed secrets is refused.
    /// - Returns: How many values were sealed now.
    /// - Throws: ``SecretsKeyError``.
    public func prepareSecrets() async throws -> Int {
        // Opening the check value throws `missing` without a key and `wrongKey` with another one.
        let check = try await setting(Self.keyCheckSetting)
        guard secrets.seals else { return 0 }
        let sealed = try await sealPlaintextSecrets()
        if check == nil { _ = try await insertSettingIfAbsent(Self.keyCheckSetting, value: "hookbird") }
        return sealed
    }
}
