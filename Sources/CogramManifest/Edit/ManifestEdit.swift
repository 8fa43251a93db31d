/// A step of a path from a manifest's top node: a mapping key or a list index.
public enum YAMLPathComponent: Sendable, Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var description: String {
        switch self {
        case .key(let key): key
        case .index(let index): "[\(index)]"
        }
    }
}

/// A path to a node: `[.key("projects"), .index(3), .key("members"), .index(0)]`.
public typealias YAMLPath = [YAMLPathComponent]

/// A value that an edit writes, rendered as block YAML at the place it goes.
public indirect enum EditValue: Sendable, Hashable {
    /// A string, written plain when it reads back as the same string, else double-quoted.
    case scalar(String)
    /// `null`, `true` or `false`, written plain.
    case literal(YAMLLiteral)
    case mapping([EditPair])
    case sequence([EditValue])
}

/// A plain scalar that YAML reads as something other than a string.
public enum YAMLLiteral: String, Sendable, Hashable {
    case null
    case `true`
    case `false`
}

public struct EditPair: Sendable, Hashable {
    public var key: String
    public var value: EditValue

    public init(_ key: String, _ value: EditValue) {
        self.key = key
        self.value = value
    }
}

/// One minimal text edit of a manifest file, addressed by path in the file as it was read.
public enum ManifestEdit: Sendable, Hashable {
    /// Remove an item of a block list, with the comment lines directly above it. A list left empty becomes `[]`.
    case removeItem(YAMLPath)
    /// Replace a scalar's text, keeping its quoting style where the new text allows it.
    case replaceScalar(YAMLPath, with: String)
    /// Replace a scalar with `null`, `true` or `false`, written plain.
    case replaceWithLiteral(YAMLPath, YAMLLiteral)
    /// Add `key` to the block mapping at the path, on the line after the key `after` (whose value must be a
    /// one-line scalar), indented like it.
    case insertKey(in: YAMLPath, after: String, key: String, EditValue)
    /// Append an item to a block list (or to an empty `[]`), indented like its items.
    case appendItem(to: YAMLPath, EditValue)
    /// Add a key to the top-level mapping, at the end of the file.
    case insertTopLevelKey(String, EditValue)
}

/// Why an edit was refused, at the node concerned when there is one.
public struct EditError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String

    public init(at location: SourceLocation?, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String {
        location.map { "\($0): error: \(message)" } ?? "error: \(message)"
    }
}
