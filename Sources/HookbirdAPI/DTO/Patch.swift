//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// A field of a PATCH body: left out, set to `null`, or set to a value. Svix's PATCH distinguishes all three.
enum Patch<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    /// The new value of a nullable field: the current one when absent, `nil` when null.
    func applied(to current: Value?) -> Value? {
        switch self {
        case .absent: current
        case .null: nil
        case .value(let value): value
        }
    }
}

extension KeyedDecodingContainer {
    func patch<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> Patch<T> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(T.self, forKey: key))
    }

    /// A field of a PATCH that may be left out but not set to `null` (Svix types it non-nullable).
    func nonNullPatch<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> Patch<T> {
        guard contains(key) else { return .absent }
        return .value(try decode(T.self, forKey: key))
    }

    /// A field that may be left out but, when given, must not be `null`: Svix types it non-nullable, and
    /// svix-server answers 422 to a `null` there.
    func decodeUnlessAbsent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        return try decode(T.self, forKey: key)
    }
}

/// Coding keys made from any string, for bodies with aliases.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { self.stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A page of a list: `{"data", "iterator", "prevIterator", "done"}`, with `iterator` present even when null.
struct ListResponse<Item> {
    var data: [Item]
    var iterator: String?
    var prevIterator: String?
    var done: Bool

    func map<Other>(_ transform: (Item) -> Other) -> ListResponse<Other> {
        ListResponse<Other>(data: data.map(transform), iterator: iterator, prevIterator: prevIterator, done: done)
    }
}

extension ListResponse: Encodable where Item: Encodable {
    enum CodingKeys: String, CodingKey { case data, iterator, prevIterator, done }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(iterator, forKey: .iterator)
        try container.encode(prevIterator, forKey: .prevIterator)
        try container.encode(done, forKey: .done)
    }
}
