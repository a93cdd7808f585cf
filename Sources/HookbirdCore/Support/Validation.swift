//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// One problem with one field of a request, in Svix's 422 shape (`loc`, `msg`, `type`).
public struct FieldError: Hashable, Sendable, Codable, Error {
    public var loc: [String]
    public var msg: String
    public var type: String

    public init(loc: [String], msg: String, type: String = "value_error") {
        self.loc = loc
        self.msg = msg
        self.type = type
    }
}

/// The rules Svix applies to uids, event type names, channels and free text.
public enum Validation {
    static let idAlphabet: Set<UInt8> = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8))

    /// Checks a uid, event id, event type name or channel: non-empty, at most `maxLength` characters of
    /// `[a-zA-Z0-9\-_.]`, and (when given) not starting with the id prefix of its type.
    public static func identifier(
        _ value: String,
        field: [String],
        maxLength: Int = 256,
        forbiddenPrefix: String? = nil
    ) throws(FieldError) {
        guard !value.isEmpty else {
            throw FieldError(loc: field, msg: "String must not be empty.", type: "value_error.any_str.min_length")
        }
        guard value.utf8.count <= maxLength else {
            throw FieldError(
                loc: field,
                msg: "String must be at most \(maxLength) characters long.",
                type: "value_error.any_str.max_length"
            )
        }
        guard value.utf8.allSatisfy(idAlphabet.contains) else {
            throw FieldError(loc: field, msg: "String must match the following pattern: [a-zA-Z0-9\\-_.].")
        }
        if let forbiddenPrefix, value.hasPrefix(forbiddenPrefix) {
            throw FieldError(
                loc: field,
                msg: "Identifiers must not start with the reserved prefix '\(forbiddenPrefix)'.",
                type: "invalid_uid_prefix"
            )
        }
    }

    /// Checks free text (`name`, `description`): no control characters 0x00–0x08; optionally non-empty.
    public static func text(_ value: String, field: [String], allowEmpty: Bool = true) throws(FieldError) {
        if !allowEmpty, value.isEmpty {
            throw FieldError(loc: field, msg: "String must not be empty.", type: "value_error.any_str.min_length")
        }
        if value.unicodeScalars.contains(where: { $0.value <= 0x08 }) {
            throw FieldError(loc: field, msg: "Control characters 0x00-0x08 are not allowed.")
        }
    }

    /// Checks metadata: at most 4096 bytes once serialised.
    public static func metadata(_ value: [String: String], field: [String]) throws(FieldError) {
        let size = value.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 }
        if size > 4096 {
            throw FieldError(loc: field, msg: "Metadata must be at most 4096 bytes once serialised.")
        }
    }

    /// Checks an endpoint's limit of requests in flight (``InFlightLimit/range``).
    public static func maxInFlight(_ value: Int?, field: [String]) throws(FieldError) {
        guard let value, !InFlightLimit.range.contains(value) else { return }
        throw FieldError(
            loc: field,
            msg: "maxInFlight must be between \(InFlightLimit.range.lowerBound) and \(InFlightLimit.range.upperBound)."
        )
    }

    /// Checks a throttle rate: at least 1 and at most 65535.
    public static func throttleRate(_ value: Int?, field: [String]) throws(FieldError) {
        if let value, !(1...65_535).contains(value) {
            throw FieldError(loc: field, msg: "throttleRate must be between 1 and 65535.")
        }
    }
}
