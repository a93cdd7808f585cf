//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdHTTP
import HookbirdStorage
import Hummingbird

/// Svix's keyset pagination: `limit` (default 50, at most 250), `iterator` (the key of the last item of the
/// previous page, or `-` and the key of the first item to go back), and `order` where the list allows it.
struct PageRequest {
    var limit: Int
    var iterator: String?
    var backwards: Bool
    var order: SortOrder?

    /// Reads the page parameters.
    /// - Parameter iteratorPrefix: The id prefix an iterator must carry, or `nil` for name-keyed lists.
    init(_ request: Request, iteratorPrefix: String?) throws {
        let query = Query(request)
        limit = try query.int("limit") ?? 50
        guard limit >= 1 else { throw ValidationFailure(loc: ["query", "limit"], msg: "Given limit must be at least 1") }
        guard limit <= 250 else {
            throw ValidationFailure(loc: ["query", "limit"], msg: "Given limit must not exceed 250")
        }
        var iterator = query.string("iterator")
        backwards = iterator?.hasPrefix("-") ?? false
        if backwards { iterator = iterator.map { String($0.dropFirst()) } }
        if let iterator {
            if let iteratorPrefix {
                // Any 27 base62 characters after the prefix: the iterator is only a bound in id order.
                guard iterator.hasPrefix(iteratorPrefix), KSUID.hasShape(iterator.dropFirst(iteratorPrefix.count))
                else {
                    throw ValidationFailure(
                        loc: ["query", "iterator"],
                        msg: "Invalid iterator: expected an id starting with '\(iteratorPrefix)'."
                    )
                }
            } else {
                try FieldError.check { () throws(FieldError) in
                    try Validation.identifier(iterator, field: ["query", "iterator"])
                }
            }
        }
        self.iterator = iterator
        switch query.string("order") {
        case nil: order = nil
        case "ascending": order = .ascending
        case "descending": order = .descending
        default:
            throw ValidationFailure(loc: ["query", "order"], msg: "order must be 'ascending' or 'descending'")
        }
    }

    /// Fetches one page.
    /// - Parameters:
    ///   - displayOrder: The order the page is shown in.
    ///   - after: A fixed exclusive lower bound on keys (a time window), if any.
    ///   - before: A fixed exclusive upper bound on keys, if any.
    ///   - scanUp: Read from the lower bound upwards even though the page is shown newest first (Svix's `after=`).
    ///   - key: The key of an item.
    ///   - fetch: Reads rows of a range.
    func page<Item>(
        displayOrder: SortOrder,
        after: String? = nil,
        before: String? = nil,
        scanUp: Bool = false,
        key: (Item) -> String,
        fetch: (ListRange) async throws -> [Item]
    ) async throws -> ListResponse<Item> {
        var range = ListRange(after: after, before: before, order: displayOrder, limit: limit + 1)
        var reverse = false
        if let iterator {
            // Going forward continues past the iterator in the display order; going back reads the other way.
            let upwards = (displayOrder == .ascending) != backwards
            if upwards {
                range.after = max(range.after ?? iterator, iterator)
            } else {
                range.before = min(range.before ?? iterator, iterator)
            }
            range.order = upwards ? .ascending : .descending
            reverse = backwards
        } else if scanUp, displayOrder == .descending {
            range.order = .ascending
            reverse = true
        }
        let rows = try await fetch(range)
        var items = Array(rows.prefix(limit))
        if reverse { items.reverse() }
        return ListResponse(
            data: items,
            iterator: items.last.map(key),
            prevIterator: items.first.map { "-" + key($0) },
            done: rows.count <= limit
        )
    }
}

/// Typed access to query parameters, with 422 errors naming the parameter.
struct Query {
    let request: Request

    init(_ request: Request) { self.request = request }

    func string(_ name: String) -> String? {
        request.uri.queryParameters[name[...]].map { String($0) }
    }

    /// An integer; present but empty or not a number is a 422.
    func int(_ name: String) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text) else {
            throw ValidationFailure(loc: ["query", name], msg: "value is not a valid integer", type: "type_error.integer")
        }
        return value
    }

    /// A boolean (`true`/`false`, or `1`/`0`); present but empty or anything else is a 422.
    func bool(_ name: String) throws -> Bool? {
        guard let text = string(name)?.lowercased() else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default:
            throw ValidationFailure(loc: ["query", name], msg: "value could not be parsed to a boolean", type: "type_error.bool")
        }
    }

    /// An RFC 3339 date-time; present but empty or malformed is a 422.
    func timestamp(_ name: String) throws -> Timestamp? {
        guard let text = string(name) else { return nil }
        guard let value = Timestamp(iso8601: text) else {
            throw ValidationFailure(loc: ["query", name], msg: "invalid datetime format", type: "value_error.datetime")
        }
        return value
    }

    /// An identifier (uid, event type name, channel: `[a-zA-Z0-9\-_.]`, at most `maxLength`); 422 otherwise.
    func identifier(_ name: String, maxLength: Int = 256) throws -> String? {
        guard let text = string(name) else { return nil }
        try FieldError.check { () throws(FieldError) in
            try Validation.identifier(text, field: ["query", name], maxLength: maxLength)
        }
        return text
    }

    /// A list of identifiers (`event_types`): each is checked like ``identifier(_:maxLength:)``.
    func identifiers(_ name: String) throws -> [String]? {
        let values =
            request.uri.queryParameters.getAll(name) + request.uri.queryParameters.getAll("\(name)[]")
            + request.uri.queryParameters.getAll("\(name)%5B%5D")
        guard !values.isEmpty else { return nil }
        let items = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        try FieldError.check { () throws(FieldError) in
            for item in items { try Validation.identifier(item, field: ["query", name]) }
        }
        return items
    }
}
