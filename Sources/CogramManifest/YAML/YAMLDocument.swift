import Foundation

/// A 1-based position in a YAML source, as libyaml reports it plus one.
public struct Mark: Sendable, Hashable {
    public var line: Int
    public var column: Int
}

/// How a scalar was written. Only plain scalars can mean null or a boolean; quoted ones are always strings.
public enum ScalarStyle: UInt8, Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// The standard tags (YAML 1.2 core schema plus `merge`); any other tag is an error.
enum YAMLTag: UInt8, Sendable, Hashable, CaseIterable {
    case str, null, bool, int, float, map, seq, merge

    static let prefix = "tag:yaml.org,2002:"

    /// The full tag, `tag:yaml.org,2002:str` for `!!str`.
    var name: String { Self.prefix + String(describing: self) }

    /// The tag for a full tag name; nil for a tag that is not standard.
    init?(name: String) {
        guard name.hasPrefix(Self.prefix), let tag = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = tag
    }
}

/// One composed YAML document: the tree libyaml's events describe, with aliases and merge keys resolved and every
/// node carrying the mark of its start.
///
/// The tree is flat, so that a large manifest costs a few arrays rather than an allocation per node: nodes live in
/// `nodes`, the text of every scalar in one byte buffer, and the children of lists and mappings (a mapping's as
/// key, value, key, value…) as node ids in `children`. An alias is the id of the node its anchor names, so
/// aliases share nodes instead of copying them.
public struct YAMLDocument: Sendable {
    /// A node's index in `nodes`.
    public typealias NodeID = Int32

    enum Kind: UInt8, Sendable {
        case scalar, sequence, mapping
    }

    /// Fields ordered so that the node packs into 32 bytes (its memberwise initializer takes them in this order):
    /// the composer writes one per scalar, list and mapping, and a large load reads them back from memory.
    struct Node: Sendable {
        var kind: Kind
        var style: ScalarStyle
        /// The resolved tag when one was written and fits, else nil (`!` counts as none).
        var tag: YAMLTag?
        var flags: NodeFlags
        var line: Int32
        var column: Int32
        /// Scalars: offset of the text in `bytes`. Lists and mappings: offset of the children in `children`.
        var start: Int32
        /// Scalars: length of the text in bytes. Lists: number of items. Mappings: twice the number of pairs.
        var count: Int32
        /// Number of nodes in this subtree, aliases counted as what they expand to; bounds alias expansion.
        var size: Int32
        /// Byte offset in the source where the node starts (its anchor or tag excluded for scalars' text), and
        /// where its last byte ends: what the in-place editor works from.
        var startOffset: Int32
        var endOffset: Int32
    }

    /// What the in-place editor must know to refuse an unsafe edit.
    struct NodeFlags: OptionSet, Sendable {
        var rawValue: UInt8
        /// The node carries an anchor: it may also be reached through an alias elsewhere.
        static let anchored = NodeFlags(rawValue: 1)
        /// A flow-style list or mapping (`[...]`, `{...}`).
        static let flow = NodeFlags(rawValue: 2)
        /// A mapping with a merge key `<<`.
        static let merged = NodeFlags(rawValue: 4)
    }

    var nodes: [Node] = []
    var bytes: [UInt8] = []
    /// The children of each list and mapping, after one slot that holds its weight (see `weight`).
    var children: [NodeID] = []
    /// The document's top node.
    public internal(set) var root: NodeID = 0

    // MARK: - Reading nodes

    func kind(_ id: NodeID) -> Kind { nodes[Int(id)].kind }

    func mark(_ id: NodeID) -> Mark {
        let node = nodes[Int(id)]
        return Mark(line: Int(node.line), column: Int(node.column))
    }

    /// The node's line and column as stored, for a `SourceLocation` made without conversions.
    func position(_ id: NodeID) -> (line: Int32, column: Int32) {
        let node = nodes[Int(id)]
        return (node.line, node.column)
    }

    func tag(_ id: NodeID) -> YAMLTag? { nodes[Int(id)].tag }

    /// Bytes of scalar text in the node's subtree, aliases counted as what they expand to; bounds alias expansion
    /// in bytes, since the decoder makes a string of every scalar an alias repeats. A scalar's is its length; a
    /// list's or mapping's is kept in the slot before its children, saturating at `Int32.max`.
    func weight(_ id: NodeID) -> Int64 {
        children.withUnsafeBufferPointer { nodes[Int(id)].weight(in: $0) }
    }

    /// The node's byte range in the source.
    func byteRange(_ id: NodeID) -> Range<Int> {
        let node = nodes[Int(id)]
        return Int(node.startOffset)..<max(Int(node.startOffset), Int(node.endOffset))
    }

    func flags(_ id: NodeID) -> NodeFlags { nodes[Int(id)].flags }

    /// The scalar style of a scalar node.
    func style(_ id: NodeID) -> ScalarStyle { nodes[Int(id)].style }

    /// A plain (unquoted, not block) scalar.
    func isPlain(_ id: NodeID) -> Bool {
        let node = nodes[Int(id)]
        return node.kind == .scalar && node.style == .plain
    }

    /// True for `~`, `null`, `Null`, `NULL`, an empty plain scalar, or an explicit `!!null`.
    func isNull(_ id: NodeID) -> Bool {
        let node = nodes[Int(id)]
        guard node.kind == .scalar else { return false }
        if node.tag == .null { return true }
        guard node.style == .plain, node.tag == nil else { return false }
        return isNullText(id)
    }

    /// Whether a scalar's text is one the core schema reads as null (`YAMLWords.nullWords` or nothing),
    /// whatever its style and tag.
    func isNullText(_ id: NodeID) -> Bool {
        nodes[Int(id)].kind == .scalar
            && (nodes[Int(id)].count == 0 || YAMLWords.nullWords.contains { scalarEquals(id, $0) })
    }

    /// The boolean a scalar's text is in the core schema (`YAMLWords.trueWords`, `YAMLWords.falseWords`),
    /// whatever its style and tag; nil for any other text.
    func boolText(_ id: NodeID) -> Bool? {
        if YAMLWords.trueWords.contains(where: { scalarEquals(id, $0) }) { return true }
        if YAMLWords.falseWords.contains(where: { scalarEquals(id, $0) }) { return false }
        return nil
    }

    /// The text of a scalar; nil for a list or a mapping.
    func scalar(_ id: NodeID) -> String? {
        let node = nodes[Int(id)]
        guard node.kind == .scalar else { return nil }
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[Int(node.start)..<Int(node.start + node.count)]), as: UTF8.self)
        }
    }

    /// Whether a scalar's text is exactly `text`, compared as bytes, without making a `String`.
    func scalarEquals(_ id: NodeID, _ text: StaticString) -> Bool {
        let node = nodes[Int(id)]
        guard node.kind == .scalar, Int(node.count) == text.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            memcmp(buffer.baseAddress! + Int(node.start), text.utf8Start, Int(node.count)) == 0
        }
    }

    /// Whether a scalar's text starts with `prefix`.
    func scalarHasPrefix(_ id: NodeID, _ prefix: StaticString) -> Bool {
        let node = nodes[Int(id)]
        guard node.kind == .scalar, Int(node.count) >= prefix.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            memcmp(buffer.baseAddress! + Int(node.start), prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
        }
    }

    /// `body` over a scalar's bytes where they are, so a check of them needs no `String`.
    func withScalarBytes<Result>(_ id: NodeID, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let node = nodes[Int(id)]
        return bytes.withUnsafeBufferPointer { buffer in
            body(UnsafeBufferPointer(rebasing: buffer[Int(node.start)..<Int(node.start + node.count)]))
        }
    }

    /// The items of a list, or the keys and values of a mapping (key, value, key, value…).
    func children(_ id: NodeID) -> ArraySlice<NodeID> {
        let node = nodes[Int(id)]
        guard node.kind != .scalar else { return [] }
        return children[Int(node.start)..<Int(node.start + node.count)]
    }

    /// Number of pairs of a mapping.
    func pairCount(_ id: NodeID) -> Int { Int(nodes[Int(id)].count) / 2 }

    /// The key of pair `index` of a mapping.
    func key(_ id: NodeID, _ index: Int) -> NodeID { children[Int(nodes[Int(id)].start) + 2 * index] }

    /// The value of pair `index` of a mapping.
    func value(_ id: NodeID, _ index: Int) -> NodeID { children[Int(nodes[Int(id)].start) + 2 * index + 1] }

    /// A short name of the node's kind, for messages ("expected a string, found a mapping").
    func kindDescription(_ id: NodeID) -> String {
        switch kind(id) {
        case .scalar: isNull(id) ? "null" : "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

extension YAMLDocument.Node {
    /// The node's weight (see `YAMLDocument.weight`), read from `children`, the document's: the composer sums its
    /// children's while it holds the arrays.
    func weight(in children: UnsafeBufferPointer<YAMLDocument.NodeID>) -> Int64 {
        kind == .scalar ? Int64(count) : Int64(children[Int(start) - 1])
    }
}
