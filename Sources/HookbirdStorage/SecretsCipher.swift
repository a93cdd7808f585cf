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
/// until ``SecretsAtRestStore/sealSecrets()`` has sealed it. Values sealed with a previous key
/// (`--previous-secrets-key`) still open, until they are sealed again with the current one.
public struct SecretsCipher: Sendable {
    static let prefix = "hbenc1:"
    /// The smallest key accepted, in bytes of its UTF-8.
    public static let minimumKeyLength = 32

    /// The current key (it seals) first, then previous ones (they only open).
    private let keys: [SymmetricKey]

    /// Stores secrets as they are.
    public static let plaintext = SecretsCipher(keys: [])

    private init(keys: [SymmetricKey]) { self.keys = keys }

    /// A cipher that seals with the key derived from `secretsKey` and also opens what `previousKeys` sealed.
    /// - Throws: ``SecretsKeyError/tooShort`` when a key is shorter than ``minimumKeyLength`` bytes.
    public init(secretsKey: String, previousKeys: [String] = []) throws {
        self.keys = try ([secretsKey] + previousKeys).map(Self.derive)
    }

    private static func derive(_ text: String) throws -> SymmetricKey {
        guard text.utf8.count >= minimumKeyLength else { throw SecretsKeyError.tooShort }
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(text.utf8)),
            salt: Data("hookbird secrets at rest".utf8),
            info: Data("hbenc1".utf8),
            outputByteCount: 32
        )
    }

    /// Whether values are sealed (a key was given).
    public var seals: Bool { !keys.isEmpty }

    /// Names the current key without giving it away (HMAC-SHA256 of a fixed text, base64): the database keeps it,
    /// sealed, to tell whether its secrets are sealed with the current key or a previous one.
    public var fingerprint: String? {
        keys.first.map { key in
            Data(HMAC<SHA256>.authenticationCode(for: Data("hookbird secrets key".utf8), using: key))
                .base64EncodedString()
        }
    }

    /// Whether a stored value is sealed.
    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// What to store for `text`: sealed with the current key, or `text` itself without one.
    public func seal(_ text: String) throws -> String {
        guard let key = keys.first else { return text }
        let box = try AES.GCM.seal(Data(text.utf8), using: key)
        guard let combined = box.combined else { throw SecretsKeyError.wrongKey }  // only for non-default nonces
        return Self.prefix + combined.base64EncodedString()
    }

    /// The plaintext of a stored value: a sealed one opened with the current or a previous key, any other as it is.
    /// - Throws: ``SecretsKeyError/missing`` for a sealed value without a key, ``SecretsKeyError/wrongKey`` when
    ///   no key opens it.
    public func open(_ stored: String) throws -> String {
        guard Self.isSealed(stored) else { return stored }
        guard !keys.isEmpty else { throw SecretsKeyError.missing }
        guard let box = Self.sealedBox(stored) else { throw SecretsKeyError.wrongKey }
        for key in keys {
            if let plaintext = try? AES.GCM.open(box, using: key) { return String(decoding: plaintext, as: UTF8.self) }
        }
        throw SecretsKeyError.wrongKey
    }

    /// A stored value sealed again with the current key (whatever it was sealed with, or plaintext).
    public func reseal(_ stored: String) throws -> String { try seal(open(stored)) }

    /// Whether a stored value is sealed with the current key (not plaintext, not sealed with a previous key).
    public func isCurrent(_ stored: String) -> Bool {
        guard let key = keys.first, let box = Self.sealedBox(stored) else { return false }
        return (try? AES.GCM.open(box, using: key)) != nil
    }

    /// The nonce, ciphertext and tag of a sealed value; `nil` for plaintext or a malformed value.
    private static func sealedBox(_ stored: String) -> AES.GCM.SealedBox? {
        guard isSealed(stored), let data = Data(base64Encoded: String(stored.dropFirst(prefix.count))) else {
            return nil
        }
        return try? AES.GCM.SealedBox(combined: data)
    }
}

/// Why the database's secrets cannot be used with the keys given.
public enum SecretsKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A key is too short to be a key.
    case tooShort
    /// The database holds sealed secrets and no key was given.
    case missing
    /// The database's secrets were sealed with a key not given.
    case wrongKey

    public var description: String {
        switch self {
        case .tooShort:
            "--secrets-key must be at least \(SecretsCipher.minimumKeyLength) bytes (e.g. `openssl rand -base64 32`)"
        case .missing:
            "the database's secrets are encrypted: give the --secrets-key (HOOKBIRD_SECRETS_KEY) they were encrypted "
                + "with"
        case .wrongKey:
            "the database's secrets were encrypted with another --secrets-key (HOOKBIRD_SECRETS_KEY); to change the "
                + "key, give the old one as --previous-secrets-key (HOOKBIRD_PREVIOUS_SECRETS_KEY)"
        }
    }
}

/// Encryption of the secrets already stored.
public protocol SecretsAtRestStore: Sendable {
    /// The cipher the store seals and opens secrets with.
    var secrets: SecretsCipher { get }
    /// In one transaction: seals with the current key every secret not sealed with it, plaintext or sealed with a
    /// previous key (endpoints' secrets and retired secrets, sources' settings, server settings), then records the
    /// current key's ``SecretsCipher/fingerprint`` (setting ``SecretsAtRest/keySetting``). Returns how many rows it
    /// changed. Does nothing without a key.
    /// - Throws: ``SecretsKeyError/wrongKey`` for a value no key given opens.
    func sealSecrets() async throws -> Int
}

/// What the database records about its secrets.
public enum SecretsAtRest {
    /// The setting that holds the fingerprint of the key the secrets are sealed with.
    public static let keySetting = "secrets_key"
}

extension SecretsAtRestStore where Self: SettingsStore {
    /// Checks the keys against the database and seals what is not sealed with the current key; run at start,
    /// after migrating.
    ///
    /// With a key: the database's key record must open with one of the keys given (so a database sealed with a key
    /// not given is refused); then every secret not sealed with the current key is sealed with it: plaintext ones
    /// (encryption turned on) and ones sealed with a previous key (key rotation). Without a key: a database with
    /// sealed secrets is refused.
    /// - Returns: How many rows were changed.
    /// - Throws: ``SecretsKeyError``.
    public func prepareSecrets() async throws -> Int {
        // Opening the record throws `missing` without a key and `wrongKey` when no key given opens it.
        _ = try await setting(SecretsAtRest.keySetting)
        return try await sealSecrets()
    }
}
