//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// A storage failure in domain terms; backends translate their driver errors into it.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case notFound
        case duplicate
        case unavailable
    }

    private let code: Code
    /// What was missing or duplicated, e.g. `"uid"` or `"eventId"`.
    public let subject: String

    private init(code: Code, subject: String) {
        self.code = code
        self.subject = subject
    }

    /// The row to change does not exist.
    public static func notFound(_ subject: String) -> Self { .init(code: .notFound, subject: subject) }
    /// A unique key (uid, eventId, event type name) is taken.
    public static func duplicate(_ subject: String) -> Self { .init(code: .duplicate, subject: subject) }
    /// The database cannot be reached or refused the operation.
    public static func unavailable(_ reason: String) -> Self { .init(code: .unavailable, subject: reason) }

    public var isNotFound: Bool { code == .notFound }
    public var isDuplicate: Bool { code == .duplicate }
    public var isUnavailable: Bool { code == .unavailable }

    public var description: String {
        switch code {
        case .notFound: "not found: \(subject)"
        case .duplicate: "duplicate: \(subject)"
        case .unavailable: "storage unavailable: \(subject)"
        }
    }
}
