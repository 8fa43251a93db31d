import Foundation

/// Writes a document in `StableJSON`'s exact form (two-space indent, `"key" : value`, slashes unescaped, a final
/// newline) while it is produced, without building a tree of values first: for documents of hundreds of thousands
/// of objects (the access report, figure 12) the tree and the encoder's sorting cost more than the rest of the
/// rendering. The caller writes each object's keys in ascending UTF-8 order, which is the order `StableJSON`
/// sorts them into; debug builds check it.
public struct StableJSONWriter {
    private var bytes: [UInt8] = []
    private var indent = 0
    /// The open containers, innermost last.
    private var open: [Frame] = []

    private struct Frame {
        var isArray: Bool
        var isEmpty = true
        #if DEBUG
        var lastKey: String?
        #endif
    }

    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// The document, with its final newline.
    public mutating func finish() -> Data {
        Data(finishBytes())
    }

    /// The document's bytes, with its final newline, without copying them into a `Data`.
    public mutating func finishBytes() -> [UInt8] {
        precondition(open.isEmpty, "StableJSONWriter: a container is still open")
        bytes.append(0x0A)
        return bytes
    }

    // MARK: - Containers

    public mutating func beginObject() { begin(UInt8(ascii: "{")) }
    public mutating func endObject() { end(UInt8(ascii: "}")) }
    public mutating func beginArray() { begin(UInt8(ascii: "[")) }
    public mutating func endArray() { end(UInt8(ascii: "]")) }

    /// Starts the member `name` of the open object; its value is written next.
    public mutating func key(_ name: String) {
        precondition(open.last.map { !$0.isArray } ?? false, "StableJSONWriter: a key outside an object")
        #if DEBUG
        if let last = open[open.count - 1].lastKey {
            assert(last.utf8.lexicographicallyPrecedes(name.utf8), "StableJSONWriter: key \(name) after \(last)")
        }
        open[open.count - 1].lastKey = name
        #endif
        separate()
        quoted(name)
        Self.keySuffix.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
    }

    /// What follows a key's closing quote.
    private static let keySuffix: [UInt8] = Array(" : ".utf8)

    // MARK: - Values

    /// A string value, or the next element of an open array.
    public mutating func string(_ value: String) {
        element()
        quoted(value)
    }

    /// `value` as a string, or `null`.
    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func null() {
        element()
        Self.nullBytes.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
    }

    public mutating func number(_ value: Int) {
        element()
        decimal(value)
    }

    private static let nullBytes: [UInt8] = Array("null".utf8)

    /// `key(name)` then `string(value)`.
    public mutating func member(_ name: String, _ value: String?) {
        key(name)
        string(value)
    }

    /// `member(name, "\(file):\(line)")` without making the string first (a manifest location, once per row of
    /// the access report).
    public mutating func member(_ name: String, file: String, line: Int) {
        key(name)
        element()
        bytes.append(UInt8(ascii: "\""))
        escaped(file)
        bytes.append(UInt8(ascii: ":"))
        decimal(line)
        bytes.append(UInt8(ascii: "\""))
    }

    /// An array of strings as the value of `name`.
    public mutating func member(_ name: String, strings: [String]) {
        key(name)
        beginArray()
        for value in strings { string(value) }
        endArray()
    }

    /// An array of objects as the value of `name`: `body` writes the members of each element's object.
    public mutating func member<S: Sequence>(_ name: String, objects elements: S, _ body: (inout Self, S.Element) -> Void) {
        key(name)
        beginArray()
        for element in elements {
            beginObject()
            body(&self, element)
            endObject()
        }
        endArray()
    }

    // MARK: - Layout

    private mutating func begin(_ bracket: UInt8) {
        element()
        bytes.append(bracket)
        bytes.append(0x0A)
        indent += 1
        open.append(Frame(isArray: bracket == UInt8(ascii: "[")))
    }

    private mutating func end(_ bracket: UInt8) {
        precondition(!open.isEmpty, "StableJSONWriter: nothing to close")
        open.removeLast()
        indent -= 1
        layout(from: 1)
        bytes.append(bracket)
    }

    /// Before a value: in an array, the separator and indent of a new element (in an object, `key` wrote them).
    private mutating func element() {
        if open.last?.isArray == true { separate() }
    }

    private mutating func separate() {
        let last = open.count - 1
        if open[last].isEmpty {
            open[last].isEmpty = false
            layout(from: 2)
        } else {
            layout(from: 0)
        }
    }

    /// `",\n"` and the indents of the first levels, so that a separator and an indent are one append: a member
    /// of the access report's rows starts with `,\n` and six spaces, 1.8 million times.
    private static let layoutBytes: [UInt8] = Array(",\n".utf8) + Array(repeating: 0x20, count: 2 * 32)

    /// The suffix of `",\n"` from `start` (0, 1 or 2), then the current indent.
    private mutating func layout(from start: Int) {
        let width = 2 * indent
        Self.layoutBytes.withUnsafeBufferPointer { table in
            if width <= table.count - 2 {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: table[start..<(2 + width)]))
            } else {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: table[start..<2]))
                bytes.append(contentsOf: repeatElement(0x20, count: width))
            }
        }
    }

    /// `String(value)`'s bytes without making the string.
    private mutating func decimal(_ value: Int) {
        var magnitude = value.magnitude
        // 20 digits hold UInt64.max; one more for the sign.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { buffer in
            var start = 21
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "-")
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<21]))
        }
    }

    /// A JSON string as Foundation's encoder writes it (`JSONStringEscaping`).
    private mutating func quoted(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        escaped(value)
        bytes.append(UInt8(ascii: "\""))
    }

    /// The inside of `quoted(value)`.
    private mutating func escaped(_ value: String) {
        var value = value
        value.withUTF8 { source in
            JSONStringEscaping.write(source, plain: { bytes.append(contentsOf: $0) }, escaped: { bytes.append(contentsOf: $0) })
        }
    }
}
