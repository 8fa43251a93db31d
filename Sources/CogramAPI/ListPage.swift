/// One page of a list endpoint as the client reads it: the items, and whatever the server said about the rest.
///
/// The contract's page is `{"items": [...], "page", "page_size", "total"}`, but the public API page does not show
/// the JSON, so the reader also accepts the common variants (see `ListPage.init(from:)`). `Page` stays the
/// contract's shape, which the sandbox writes.
public struct ListPage<Item: Decodable & Sendable>: Decodable, Sendable {
    public var items: [Item]
    /// The number of items of the whole list, when the server says.
    public var total: Int?
    /// Whether a next page exists, when the server says so without a total (`has_more`, `next`).
    public var hasMore: Bool?
    /// The page size the server says it used.
    public var pageSize: Int?
    /// The key the items came under (`items`, `data` or `results`), for messages.
    public var itemsKey: String

    public init(items: [Item], total: Int?, hasMore: Bool? = nil, pageSize: Int? = nil, itemsKey: String = "items") {
        self.items = items
        self.total = total
        self.hasMore = hasMore
        self.pageSize = pageSize
        self.itemsKey = itemsKey
    }

    /// Keys under which a list's items are accepted, in order of preference.
    public static var itemKeys: [String] { ["items", "data", "results"] }
    /// Keys of the list's total.
    static var totalKeys: [String] { ["total", "total_count", "total_items", "totalCount"] }
    /// Objects that may hold the paging fields instead of the top level.
    static var containerKeys: [String] { ["pagination", "meta", "paging"] }

    /// Reads `items`, `data` or `results` (the first present); the total from `total` or `total_count`, at the top
    /// level or inside `pagination` or `meta`; `has_more` (a boolean) or `next` (null means no next page); the
    /// page size from `page_size`, `per_page` or `limit`. Unknown keys are ignored. Decoding errors keep their
    /// coding path, so a bad item reports `data[3].status`.
    public init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: AnyKey.self)
        guard let key = Self.itemKeys.lazy.map(AnyKey.init(stringValue:)).first(where: { top.contains($0) }) else {
            throw DecodingError.keyNotFound(
                AnyKey("items"),
                .init(codingPath: decoder.codingPath, debugDescription: "a list under items, data or results"))
        }
        items = try top.decode([Item].self, forKey: key)
        itemsKey = key.stringValue
        var containers = [top]
        for name in Self.containerKeys {
            let k = AnyKey(name)
            if top.contains(k), let nested = try? top.nestedContainer(keyedBy: AnyKey.self, forKey: k) {
                containers.append(nested)
            }
        }
        total = nil
        hasMore = nil
        pageSize = nil
        for container in containers {
            if total == nil { total = Self.integer(in: container, keys: Self.totalKeys) }
            if pageSize == nil { pageSize = Self.integer(in: container, keys: ["page_size", "per_page", "limit", "pageSize"]) }
            if hasMore == nil { hasMore = Self.more(in: container) }
        }
    }

    private static func integer(in container: KeyedDecodingContainer<AnyKey>, keys: [String]) -> Int? {
        for name in keys {
            let key = AnyKey(name)
            guard container.contains(key) else { continue }
            if let value = try? container.decode(Int.self, forKey: key), value >= 0 { return value }
            if let text = try? container.decode(String.self, forKey: key), let value = Int(text), value >= 0 { return value }
        }
        return nil
    }

    private static func more(in container: KeyedDecodingContainer<AnyKey>) -> Bool? {
        for name in ["has_more", "hasMore", "has_next"] {
            // A missing key is checked first: a thrown `keyNotFound` costs more than the whole lookup.
            let key = AnyKey(name)
            guard container.contains(key) else { continue }
            if let value = try? container.decode(Bool.self, forKey: key) { return value }
        }
        for name in ["next", "next_page", "next_url"] {
            let key = AnyKey(name)
            guard container.contains(key) else { continue }
            if (try? container.decodeNil(forKey: key)) == true { return false }
            if let text = try? container.decode(String.self, forKey: key) { return !text.isEmpty }
            if (try? container.decode(Int.self, forKey: key)) != nil { return true }
        }
        return nil
    }
}

/// A coding key made from any string or index, for reading JSON whose key set is not fixed.
struct AnyKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?

    init(_ string: String) {
        stringValue = string
        intValue = nil
    }

    init(stringValue: String) { self.init(stringValue) }

    init?(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// What identifies an item of a list, for removing duplicates a server may return across pages.
public protocol ListItem: Decodable, Sendable {
    var listIdentity: String { get }
}

extension Project: ListItem {
    public var listIdentity: String { id }
}

extension Member: ListItem {
    public var listIdentity: String { userID }
}

extension User: ListItem {
    public var listIdentity: String { id }
}
