//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// The direction a list is read in.
public enum SortOrder: Sendable, Hashable {
    case ascending
    case descending
}

/// A window of a keyset-paginated list: rows whose key lies strictly between `after` and `before`, read in
/// `order`, at most `limit` of them. Stores return rows in `order`; the API turns them into pages.
public struct ListRange: Sendable, Hashable {
    /// Exclusive lower bound on the key (id or name).
    public var after: String?
    /// Exclusive upper bound on the key.
    public var before: String?
    public var order: SortOrder
    public var limit: Int

    public init(after: String? = nil, before: String? = nil, order: SortOrder, limit: Int) {
        self.after = after
        self.before = before
        self.order = order
        self.limit = limit
    }
}
