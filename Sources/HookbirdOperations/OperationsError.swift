//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Why a use case refused: in domain terms, which every surface (the API, the inbound gateway, the dashboard) turns
/// into its own answer (the web kernel maps it to a status, see `ErrorMiddleware` in HookbirdHTTP).
public struct OperationsError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case notFound
        case forbidden
        case conflict
        case rejected
        case invalid
    }

    private let code: Code
    /// A short machine-readable name of the refusal, as the API shows it in `code` (`limit_reached`).
    public let reason: String
    /// What a person reads.
    public let detail: String
    /// For an invalid input: where it is, as a path (`["body", "eventTypes"]`).
    public let field: [String]

    private init(code: Code, reason: String, detail: String, field: [String] = []) {
        self.code = code
        self.reason = reason
        self.detail = detail
        self.field = field
    }

    /// Nothing the caller may see has this id.
    public static func notFound(_ detail: String = "Entity not found") -> Self {
        .init(code: .notFound, reason: "not_found", detail: detail)
    }

    /// The caller's token may not do this (an app-scoped token on an organisation's operation).
    public static var forbidden: Self {
        .init(code: .forbidden, reason: "insufficient access", detail: "Insufficient access for the given operation.")
    }

    /// The change clashes with what is stored (a taken uid).
    public static func conflict(_ detail: String, reason: String = "conflict") -> Self {
        .init(code: .conflict, reason: reason, detail: detail)
    }

    /// The operation cannot be done as asked (`limit_reached`, `missing_payload`, `not_replayable`).
    public static func rejected(_ reason: String, _ detail: String) -> Self {
        .init(code: .rejected, reason: reason, detail: detail)
    }

    /// An input is not acceptable: which one and why.
    public static func invalid(_ field: [String], _ detail: String, reason: String = "value_error") -> Self {
        .init(code: .invalid, reason: reason, detail: detail, field: field)
    }

    public var isNotFound: Bool { code == .notFound }
    public var isForbidden: Bool { code == .forbidden }
    public var isConflict: Bool { code == .conflict }
    public var isRejected: Bool { code == .rejected }
    public var isInvalid: Bool { code == .invalid }

    public var description: String {
        field.isEmpty ? "\(reason): \(detail)" : "\(field.joined(separator: ".")): \(detail)"
    }
}
