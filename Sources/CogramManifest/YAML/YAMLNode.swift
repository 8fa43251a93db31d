/// A 1-based position in a YAML source, as libyaml reports it plus one.
public struct Mark: Sendable, Hashable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// How a scalar was written. Only plain scalars can mean null or a boolean; quoted ones are always strings.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A composed YAML node: the tree libyaml's events describe, with aliases and merge keys resolved and every
/// node carrying the mark of its start.
public struct YAMLNode: Sendable {
    public indirect enum Content: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    public var mark: Mark
    /// The resolved tag when one was written (`tag:yaml.org,2002:str` for `!!str`), else nil.
    public var tag: String?
    /// Number of nodes in this subtree; bounds what aliases may expand to.
    var size: Int

    public init(content: Content, mark: Mark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
        switch content {
        case .scalar: size = 1
        case .sequence(let items): size = items.reduce(1) { $0 + $1.size }
        case .mapping(let pairs): size = pairs.reduce(1) { $0 + $1.key.size + $1.value.size }
        }
    }

    /// A short name of the node's kind, for messages ("expected a string, found a mapping").
    public var kindDescription: String {
        switch content {
        case .scalar: isNull ? "null" : "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }

    /// The text of a scalar node.
    public var scalar: String? {
        if case .scalar(let s, _) = content { return s }
        return nil
    }

    /// True for `~`, `null`, `Null`, `NULL`, an empty plain scalar, or an explicit `!!null`.
    public var isNull: Bool {
        guard case .scalar(let s, let style) = content else { return false }
        if tag == YAMLTag.null { return true }
        guard style == .plain, tag == nil else { return false }
        return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }
}

/// A key and its value in a mapping, in source order.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// The standard tags (YAML 1.2 core schema plus `merge`); any other tag is an error.
enum YAMLTag {
    static let prefix = "tag:yaml.org,2002:"
    static let str = prefix + "str"
    static let null = prefix + "null"
    static let bool = prefix + "bool"
    static let int = prefix + "int"
    static let float = prefix + "float"
    static let map = prefix + "map"
    static let seq = prefix + "seq"
    static let merge = prefix + "merge"
    static let standard: Set<String> = [str, null, bool, int, float, map, seq, merge, "!"]
}
