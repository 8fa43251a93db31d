import NIOCore

/// A list item the contract page reader can build straight from its JSON object's string fields.
protocol ContractListItem: ListItem {
    /// The object's keys, as UTF-8; a value's index in `init?(contractFields:)` is its key's index here.
    static var contractKeys: [[UInt8]] { get }
    /// The item from each key's string value (nil when the key is absent or `null`), or nil when a required one
    /// is missing: `JSONDecoder` then says what is wrong.
    init?(contractFields: [String?])
}

/// Reads a list page written in the contract's exact shape — `{"items": [...], "page", "page_size", "total"}` with
/// each item an object of the contract's keys and string or `null` values — without `JSONDecoder`, which costs more
/// per page than the rest of the request on the client's side.
///
/// It reads only what it can read exactly as `JSONDecoder` and `ListPage.init(from:)` would, and returns nil for
/// anything else: another envelope, an unknown or repeated key, a number that is not a plain non-negative integer, a
/// string with an escape or that is not UTF-8, a missing required field, invalid JSON. Those go through
/// `JSONDecoder`, which accepts them or says what is wrong, as before.
enum ContractPageReader {
    static func read<Item: ListItem>(_ type: Item.Type, from body: ByteBuffer) -> ListPage<Item>? {
        // One concrete call per item type, so that the compiler specializes the reader for it: through an opened
        // existential the reader ran as unspecialized generic code, with metadata look-ups for every item and a
        // dynamic cast of every page. `read` itself is specialized at its callers, where these tests fold away.
        if Item.self == Member.self { return retyped(readPage(Member.self, from: body)) }
        if Item.self == Project.self { return retyped(readPage(Project.self, from: body)) }
        if Item.self == User.self { return retyped(readPage(User.self, from: body)) }
        return nil
    }

    private static func readPage<Item: ContractListItem>(_ type: Item.Type, from body: ByteBuffer) -> ListPage<Item>? {
        body.withUnsafeReadableBytes { bytes in
            var cursor = Cursor(bytes: bytes)
            return cursor.page(type)
        }
    }

    /// A page of `Read` as a page of `Item`, which the caller has checked to be the same type.
    private static func retyped<Read: Decodable & Sendable, Item: Decodable & Sendable>(_ page: ListPage<Read>?) -> ListPage<Item>? {
        precondition(Read.self == Item.self)
        return unsafeBitCast(page, to: ListPage<Item>?.self)
    }

    private static let topKeys: [[UInt8]] = ["items", "page", "page_size", "total"].map { Array($0.utf8) }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        /// Whether the last string `stringBytes()` found is ASCII only.
        var lastStringIsASCII = true

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func page<Item: ContractListItem>(_ type: Item.Type) -> ListPage<Item>? {
            var items: [Item]?
            var total: Int?
            var pageSize: Int?
            var seen = 0
            guard take(UInt8(ascii: "{")) else { return nil }
            var first = true
            while true {
                if first, take(UInt8(ascii: "}")) { break }
                if !first {
                    if take(UInt8(ascii: "}")) { break }
                    guard take(UInt8(ascii: ",")) else { return nil }
                }
                first = false
                guard let which = key(among: ContractPageReader.topKeys), seen & (1 << which) == 0 else { return nil }
                seen |= 1 << which
                switch which {
                case 0: guard let read = itemList(type) else { return nil }; items = read
                case 1: guard integer() != nil else { return nil }
                case 2: guard let value = integer() else { return nil }; pageSize = value
                default: guard let value = integer() else { return nil }; total = value
                }
            }
            skipWhitespace()
            guard index == bytes.count, let items else { return nil }
            return ListPage(items: items, total: total, hasMore: nil, pageSize: pageSize, itemsKey: "items")
        }

        mutating func itemList<Item: ContractListItem>(_ type: Item.Type) -> [Item]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var items: [Item] = []
            if take(UInt8(ascii: "]")) { return items }
            let keys = Item.contractKeys
            while true {
                guard let item = object(keys: keys).flatMap(Item.init(contractFields:)) else { return nil }
                items.append(item)
                if take(UInt8(ascii: "]")) { return items }
                guard take(UInt8(ascii: ",")) else { return nil }
            }
        }

        /// An object whose keys are all among `keys`, each once, with string or `null` values.
        mutating func object(keys: [[UInt8]]) -> [String?]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var fields = [String?](repeating: nil, count: keys.count)
            var seen = 0
            if take(UInt8(ascii: "}")) { return fields }
            while true {
                guard let which = key(among: keys), seen & (1 << which) == 0 else { return nil }
                seen |= 1 << which
                skipWhitespace()
                if starts(with: "null") {
                    index += 4
                } else {
                    guard let value = string() else { return nil }
                    fields[which] = value
                }
                if take(UInt8(ascii: "}")) { return fields }
                guard take(UInt8(ascii: ",")) else { return nil }
            }
        }

        /// A key among `keys` and the colon after it; nil for any other key.
        mutating func key(among keys: [[UInt8]]) -> Int? {
            skipWhitespace()
            guard let range = stringBytes() else { return nil }
            let length = range.count
            let found = keys.firstIndex { key in
                key.count == length && key.withUnsafeBytes { $0.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[range])) }
            }
            guard let found, take(UInt8(ascii: ":")) else { return nil }
            return found
        }

        /// A string without escapes that is valid UTF-8.
        mutating func string() -> String? {
            guard let range = stringBytes() else { return nil }
            let text = UnsafeRawBufferPointer(rebasing: bytes[range])
            // ASCII needs no validation; `String(validating:as:)` is generic code that looked up type metadata for
            // every string, a tenth of reading a page.
            if lastStringIsASCII { return String(decoding: text.assumingMemoryBound(to: UInt8.self), as: UTF8.self) }
            return String(validating: text, as: UTF8.self)
        }

        /// The bytes between the quotes of a string that has no escape and no control character.
        mutating func stringBytes() -> Range<Int>? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            var end = start
            var high: UInt8 = 0
            while end < bytes.count {
                let byte = bytes[end]
                high |= byte
                if byte == UInt8(ascii: "\"") {
                    index = end + 1
                    lastStringIsASCII = high < 0x80
                    return start..<end
                }
                guard byte >= 0x20, byte != UInt8(ascii: "\\") else { return nil }
                end += 1
            }
            return nil
        }

        /// `0` or digits without a leading zero, small enough for any `Int`.
        mutating func integer() -> Int? {
            skipWhitespace()
            var value = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                // A leading zero, or more digits than an `Int` surely holds (checked before they could overflow).
                if digits == 1 && value == 0 || digits == 18 { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            // A fraction or an exponent makes it a number `JSONDecoder` may read otherwise.
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
                return nil
            }
            return value
        }

        /// Skips whitespace, then takes `byte` if it comes next.
        mutating func take(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        func starts(with word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            return word.withUTF8Buffer { $0.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[index..<index + count])) }
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }
    }
}

extension Project: ContractListItem {
    static let contractKeys: [[UInt8]] = ["id", "name", "description", "external_id", "status", "created_at", "updated_at"]
        .map { Array($0.utf8) }

    init?(contractFields f: [String?]) {
        guard let id = f[0], let name = f[1], let status = f[4], let updatedAt = f[6] else { return nil }
        self.init(
            id: id, name: name, description: f[2], externalID: f[3], status: OpenEnum(rawValue: status),
            createdAt: f[5], updatedAt: updatedAt)
    }
}

extension Member: ContractListItem {
    static let contractKeys: [[UInt8]] = ["user_id", "email", "name", "role", "added_at"].map { Array($0.utf8) }

    init?(contractFields f: [String?]) {
        guard let userID = f[0], let email = f[1], let role = f[3] else { return nil }
        self.init(userID: userID, email: email, name: f[2], role: OpenEnum(rawValue: role), addedAt: f[4])
    }
}

extension User: ContractListItem {
    static let contractKeys: [[UInt8]] = ["id", "email", "name", "role", "external_id", "status"].map { Array($0.utf8) }

    init?(contractFields f: [String?]) {
        guard let id = f[0], let email = f[1], let role = f[3], let status = f[5] else { return nil }
        self.init(
            id: id, email: email, name: f[2], role: OpenEnum(rawValue: role), externalID: f[4],
            status: OpenEnum(rawValue: status))
    }
}
