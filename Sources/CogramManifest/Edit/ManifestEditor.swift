/// Applies minimal text edits to one manifest file, from the byte offsets of its nodes: every byte that no edit
/// touches stays as it was (comments, key order, quoting, blank lines, line ends).
///
/// It refuses, with the location, to edit through an anchor, an alias, a merge key or a flow-style collection,
/// where a text edit could change more than the entry it means (or would have to guess the layout).
public struct ManifestEditor: Sendable {
    typealias NodeID = YAMLDocument.NodeID

    public let source: SourceFile
    let document: YAMLDocument
    /// Byte offset of each character index libyaml reports (empty when the text after a byte order mark is ASCII).
    private let characterOffsets: [Int32]
    private let bomLength: Int
    /// The file's own line end, used for every line an edit adds.
    public let lineEnd: [UInt8]

    public init(source: SourceFile, limits: LoaderLimits = .default) throws(EditError) {
        let (document, diagnostics) = YAMLComposer.compose(source, limits: limits)
        guard let document, !diagnostics.hasErrors else {
            let first = diagnostics.first { $0.severity == .error }
            throw EditError(at: first?.location, "cannot edit a file that does not load: \(first?.message ?? "not YAML")")
        }
        self.source = source
        self.document = document
        let bytes = source.bytes
        bomLength = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        if bytes[bomLength...].allSatisfy({ $0 < 0x80 }) {
            characterOffsets = []
        } else {
            var offsets: [Int32] = []
            offsets.reserveCapacity(bytes.count + 1)
            for i in bomLength..<bytes.count where bytes[i] & 0xC0 != 0x80 { offsets.append(Int32(i)) }
            offsets.append(Int32(bytes.count))
            characterOffsets = offsets
        }
        if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")), newline > 0, bytes[newline - 1] == UInt8(ascii: "\r") {
            lineEnd = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        } else {
            lineEnd = [UInt8(ascii: "\n")]
        }
    }

    // MARK: - Reading

    /// The node at `path`, refusing a path that passes through an anchored, aliased, merged or flow-style node.
    /// `flowLeaf`: the last node may be a flow collection (a whole `- {email: …}` item can be removed safely).
    func resolve(_ path: YAMLPath, checked: Bool = true, flowLeaf: Bool = false) throws(EditError) -> NodeID {
        var node = document.root
        try check(node, checked: checked, reachedBy: nil)
        for (position, component) in path.enumerated() {
            var reachedBy: NodeID?
            switch component {
            case .key(let key):
                guard document.kind(node) == .mapping else { throw refusal(node, "expected a mapping for '\(key)'") }
                if checked, document.flags(node).contains(.merged) {
                    throw refusal(node, "this mapping uses a merge key '<<'; edit it by hand")
                }
                guard let index = (0..<document.pairCount(node)).first(where: { document.scalar(document.key(node, $0)) == key }) else {
                    throw refusal(node, "no key '\(key)' here")
                }
                reachedBy = document.key(node, index)
                node = document.value(node, index)
            case .index(let index):
                let items = document.children(node)
                guard document.kind(node) == .sequence, index >= 0, index < items.count else {
                    throw refusal(node, "no list item \(index) here")
                }
                node = items[items.startIndex + index]
            }
            try check(node, checked: checked, reachedBy: reachedBy, flowAllowed: flowLeaf && position == path.count - 1)
        }
        return node
    }

    /// `reachedBy`: the key whose value `node` is; an alias is reported there, where the reader sees it.
    private func check(_ node: NodeID, checked: Bool, reachedBy key: NodeID?, flowAllowed: Bool = false) throws(EditError) {
        guard checked else { return }
        let flags = document.flags(node)
        if flags.contains(.anchored) {
            let anchor = document.mark(node)
            throw refusal(key ?? node,
                "this entry is shared through an anchor or alias (the anchor is at line \(anchor.line), column \(anchor.column)); cogramctl does not edit shared YAML (edit it by hand)")
        }
        if flags.contains(.flow), !flowAllowed, document.kind(node) != .scalar, !document.children(node).isEmpty {
            throw refusal(node, "this is a flow-style collection ([...] or {...}); cogramctl edits block style only (edit it by hand)")
        }
    }

    /// The text of the scalar at `path`, or nil.
    public func scalar(at path: YAMLPath) -> String? {
        guard let node = try? resolve(path, checked: false) else { return nil }
        return document.scalar(node)
    }

    /// The number of items of the list, or of keys of the mapping, at `path`; nil when there is none.
    public func count(at path: YAMLPath) -> Int? {
        guard let node = try? resolve(path, checked: false) else { return nil }
        switch document.kind(node) {
        case .scalar: return nil
        case .sequence: return document.children(node).count
        case .mapping: return document.pairCount(node)
        }
    }

    /// The keys of the mapping at `path`, in file order.
    public func keys(at path: YAMLPath) -> [String] {
        guard let node = try? resolve(path, checked: false), document.kind(node) == .mapping else { return [] }
        return (0..<document.pairCount(node)).compactMap { document.scalar(document.key(node, $0)) }
    }

    /// The location of the node at `path`.
    public func location(at path: YAMLPath) -> SourceLocation? {
        guard let node = try? resolve(path, checked: false) else { return nil }
        return location(node)
    }

    // MARK: - Editing

    private struct Replacement {
        var range: Range<Int>
        var text: [UInt8]
    }

    /// The file's bytes with `edits` applied. Paths address the file as it was read; edits must not overlap.
    public func applying(_ edits: [ManifestEdit]) throws(EditError) -> [UInt8] {
        var replacements: [Replacement] = []
        var removals: [NodeID: [(index: Int, path: YAMLPath)]] = [:]
        var removalOrder: [NodeID] = []
        for edit in edits {
            switch edit {
            case .removeItem(let path):
                guard case .index(let index)? = path.last else { throw EditError(at: nil, "removeItem needs a path ending in a list index") }
                let list = try resolve(Array(path.dropLast()))
                _ = try resolve(path, flowLeaf: true)
                if removals[list] == nil { removalOrder.append(list) }
                removals[list, default: []].append((index, path))
            case .replaceScalar(let path, let text):
                let node = try replaceableScalar(path)
                replacements.append(Replacement(range: byteRange(node), text: Array(renderScalar(text, like: node).utf8)))
            case .replaceWithLiteral(let path, let literal):
                let node = try replaceableScalar(path)
                replacements.append(Replacement(range: byteRange(node), text: Array(literal.rawValue.utf8)))
            case .insertKey(let path, let after, let key, let value):
                replacements.append(try insertKey(in: path, after: after, key: key, value))
            case .appendItem(let path, let value):
                replacements.append(try appendReplacement(path, value))
            case .insertTopLevelKey(let key, let value):
                replacements.append(try insertTopLevel(key, value))
            }
        }
        for list in removalOrder {
            let indices = Set(removals[list]!.map(\.index))
            let items = Array(document.children(list))
            if indices.count == items.count {
                replacements.append(contentsOf: try emptying(list, path: Array(removals[list]![0].path.dropLast())))
            } else {
                for index in indices.sorted() { replacements.append(Replacement(range: try itemRange(items[index]), text: [])) }
            }
        }
        // Inserts at one offset keep the order of their edits.
        replacements = replacements.enumerated().sorted {
            ($0.element.range.lowerBound, $0.element.range.upperBound, $0.offset) < ($1.element.range.lowerBound, $1.element.range.upperBound, $1.offset)
        }.map(\.element)
        for (a, b) in zip(replacements, replacements.dropFirst()) where a.range.upperBound > b.range.lowerBound {
            throw EditError(at: source.location(ofByteOffset: b.range.lowerBound), "two edits overlap here; apply them one at a time")
        }
        var bytes = source.bytes
        for replacement in replacements.reversed() {
            bytes.replaceSubrange(replacement.range, with: replacement.text)
        }
        return bytes
    }

    /// A block scalar's range runs into the lines after it (its line breaks and the next line's indentation), so a
    /// text edit of it could join two keys: only flow scalars are replaced.
    private func replaceableScalar(_ path: YAMLPath) throws(EditError) -> NodeID {
        let node = try resolve(path)
        guard document.kind(node) == .scalar else { throw refusal(node, "expected a scalar to replace") }
        let style = document.style(node)
        guard style != .literal, style != .folded else {
            throw refusal(node, "this is a block scalar (| or >); cogramctl does not rewrite it (edit it by hand)")
        }
        return node
    }

    /// The lines of a list item: from its `-` line (with the comment lines directly above it at the same
    /// indentation) through the end of the line where it ends.
    private func itemRange(_ item: NodeID) throws(EditError) -> Range<Int> {
        let bytes = source.bytes
        let range = byteRange(item)
        var start = lineStart(range.lowerBound)
        let before = bytes[start..<range.lowerBound]
        var dash: Int
        if let index = before.firstIndex(of: UInt8(ascii: "-")), before.allSatisfy({ $0 == 0x20 || $0 == UInt8(ascii: "-") }) {
            dash = index - start
        } else if before.allSatisfy({ $0 == 0x20 }), start > 0 {
            // `-` alone on the line above, the item's content below it.
            let previous = lineStart(start - 1)
            let line = bytes[previous..<start].filter { $0 != 0x0D && $0 != 0x0A }
            guard line.allSatisfy({ $0 == 0x20 || $0 == UInt8(ascii: "-") }), line.filter({ $0 == UInt8(ascii: "-") }).count == 1 else {
                throw refusal(item, "cannot find this item's '-' line; edit it by hand")
            }
            dash = line.firstIndex(of: UInt8(ascii: "-"))!
            start = previous
        } else {
            throw refusal(item, "this item shares its line with other YAML; edit it by hand")
        }
        // Comment lines directly above, indented like the `-`, belong to the item.
        while start > 0 {
            let previous = lineStart(start - 1)
            let line = bytes[previous..<start]
            let indent = line.prefix { $0 == 0x20 }.count
            guard indent == dash, line.dropFirst(indent).first == UInt8(ascii: "#") else { break }
            start = previous
        }
        return start..<lineEndAfter(max(range.upperBound - 1, range.lowerBound))
    }

    /// Every item of `list` removed, and `[]` written after its key's colon: an emptied list stays a list.
    private func emptying(_ list: NodeID, path: YAMLPath) throws(EditError) -> [Replacement] {
        let items = Array(document.children(list))
        let first = try itemRange(items[0])
        let last = try itemRange(items[items.count - 1])
        guard case .key(let key)? = path.last else { throw refusal(list, "cannot empty a list that is not a mapping's value") }
        let parent = try resolve(Array(path.dropLast()))
        guard let pair = (0..<document.pairCount(parent)).first(where: { document.scalar(document.key(parent, $0)) == key }) else {
            throw refusal(parent, "no key '\(key)' here")
        }
        var colon = byteRange(document.key(parent, pair)).upperBound
        while colon < source.bytes.count, source.bytes[colon] == 0x20 { colon += 1 }
        guard colon < source.bytes.count, source.bytes[colon] == UInt8(ascii: ":"), colon < first.lowerBound else {
            throw refusal(list, "cannot find the ':' after '\(key)'; edit it by hand")
        }
        return [Replacement(range: colon + 1..<colon + 1, text: Array(" []".utf8)), Replacement(range: first.lowerBound..<last.upperBound, text: [])]
    }

    private func appendReplacement(_ path: YAMLPath, _ value: EditValue) throws(EditError) -> Replacement {
        let list = try resolve(path)
        guard document.kind(list) == .sequence else { throw refusal(list, "expected a list to append to") }
        let items = Array(document.children(list))
        if items.isEmpty {
            // `key: []` becomes a block list under the key.
            guard document.flags(list).contains(.flow) else { throw refusal(list, "expected '[]' here") }
            var range = byteRange(list)
            while range.lowerBound > 0, source.bytes[range.lowerBound - 1] == 0x20 { range = range.lowerBound - 1..<range.upperBound }
            let start = lineStart(range.lowerBound)
            let indent = source.bytes[start...].prefix { $0 == 0x20 }.count + 2
            return Replacement(range: range, text: lineEnd + renderItem(value, indent: indent, trailingLineEnd: false))
        }
        let lastRange = try itemRange(items[items.count - 1])
        let dashLine = lineStart(byteRange(items[items.count - 1]).lowerBound)
        let indent = indentOfDash(items[items.count - 1], lineStart: dashLine)
        var text: [UInt8] = []
        var at = lastRange.upperBound
        if at == source.bytes.count, let lastByte = source.bytes.last, lastByte != 0x0A {
            text += lineEnd
        }
        at = min(at, source.bytes.count)
        text += renderItem(value, indent: indent, trailingLineEnd: true)
        return Replacement(range: at..<at, text: text)
    }

    private func insertKey(in path: YAMLPath, after: String, key: String, _ value: EditValue) throws(EditError) -> Replacement {
        let mapping = try resolve(path)
        guard document.kind(mapping) == .mapping else { throw refusal(mapping, "expected a mapping to add '\(key)' to") }
        if (0..<document.pairCount(mapping)).contains(where: { document.scalar(document.key(mapping, $0)) == key }) {
            throw refusal(mapping, "this mapping already has '\(key)'")
        }
        guard let pair = (0..<document.pairCount(mapping)).first(where: { document.scalar(document.key(mapping, $0)) == after }) else {
            throw refusal(mapping, "no key '\(after)' here")
        }
        let keyNode = document.key(mapping, pair)
        let valueNode = document.value(mapping, pair)
        let valueRange = byteRange(valueNode)
        // Only after a one-line scalar is "the next line" sure to be the next key: a block value may end later.
        guard document.kind(valueNode) == .scalar, !source.bytes[byteRange(keyNode).lowerBound..<valueRange.upperBound].contains(0x0A) else {
            throw refusal(valueNode, "cannot add '\(key)' after a value that spans lines; edit it by hand")
        }
        let keyStart = byteRange(keyNode).lowerBound
        let indent = keyStart - lineStart(keyStart)
        var text: [UInt8] = []
        let at = lineEndAfter(max(valueRange.upperBound - 1, valueRange.lowerBound))
        if at == source.bytes.count, let lastByte = source.bytes.last, lastByte != 0x0A { text += lineEnd }
        text += renderPairs([EditPair(key, value)], indent: indent)
        return Replacement(range: at..<at, text: text)
    }

    private func insertTopLevel(_ key: String, _ value: EditValue) throws(EditError) -> Replacement {
        let root = document.root
        guard document.kind(root) == .mapping, !document.flags(root).contains(.flow) else {
            throw refusal(root, "the top level is not a block mapping; edit it by hand")
        }
        if (0..<document.pairCount(root)).contains(where: { document.scalar(document.key(root, $0)) == key }) {
            throw refusal(root, "the file already has '\(key)'")
        }
        var text: [UInt8] = []
        if let last = source.bytes.last, last != 0x0A, last != 0x0D { text += lineEnd }
        text += Array("\(renderKey(key)):".utf8)
        switch value {
        case .sequence(let items):
            if items.isEmpty {
                text += Array(" []".utf8) + lineEnd
            } else {
                text += lineEnd
                for item in items { text += renderItem(item, indent: topLevelListIndent(), trailingLineEnd: true) }
            }
        case .mapping(let pairs):
            text += lineEnd + renderPairs(pairs, indent: 2)
        case .scalar(let scalar):
            text += Array(" \(renderScalar(scalar))".utf8) + lineEnd
        case .literal(let literal):
            text += Array(" \(literal.rawValue)".utf8) + lineEnd
        }
        return Replacement(range: source.bytes.count..<source.bytes.count, text: text)
    }

    /// The indentation of the items of the file's first top-level block list (2 when there is none), so that an
    /// added section looks like the others.
    private func topLevelListIndent() -> Int {
        let root = document.root
        for index in 0..<document.pairCount(root) {
            let value = document.value(root, index)
            guard document.kind(value) == .sequence, !document.flags(value).contains(.flow),
                  let first = document.children(value).first else { continue }
            let start = lineStart(byteRange(first).lowerBound)
            return indentOfDash(first, lineStart: start)
        }
        return 2
    }

    private func indentOfDash(_ item: NodeID, lineStart start: Int) -> Int {
        let line = source.bytes[start..<byteRange(item).lowerBound]
        if let dash = line.firstIndex(of: UInt8(ascii: "-")) { return dash - start }
        return line.prefix { $0 == 0x20 }.count
    }

    // MARK: - Rendering

    private func renderItem(_ value: EditValue, indent: Int, trailingLineEnd: Bool) -> [UInt8] {
        let pad = [UInt8](repeating: 0x20, count: indent)
        var text: [UInt8]
        switch value {
        case .mapping(let pairs) where !pairs.isEmpty:
            let rendered = renderPairs(pairs, indent: indent + 2)
            // The first pair goes on the `-` line.
            text = pad + Array("- ".utf8) + Array(rendered.dropFirst(indent + 2))
        case .scalar(let scalar):
            text = pad + Array("- \(renderScalar(scalar))".utf8) + lineEnd
        case .literal(let literal):
            text = pad + Array("- \(literal.rawValue)".utf8) + lineEnd
        default:
            text = pad + Array("- []".utf8) + lineEnd
        }
        if !trailingLineEnd, text.suffix(lineEnd.count).elementsEqual(lineEnd) { text.removeLast(lineEnd.count) }
        return text
    }

    private func renderPairs(_ pairs: [EditPair], indent: Int) -> [UInt8] {
        let pad = [UInt8](repeating: 0x20, count: indent)
        var text: [UInt8] = []
        for pair in pairs {
            text += pad + Array("\(renderKey(pair.key)):".utf8)
            switch pair.value {
            case .scalar(let scalar):
                text += Array(" \(renderScalar(scalar))".utf8) + lineEnd
            case .literal(let literal):
                text += Array(" \(literal.rawValue)".utf8) + lineEnd
            case .sequence(let items):
                if items.isEmpty {
                    text += Array(" []".utf8) + lineEnd
                } else {
                    text += lineEnd
                    for item in items { text += renderItem(item, indent: indent + 2, trailingLineEnd: true) }
                }
            case .mapping(let inner):
                text += lineEnd + renderPairs(inner, indent: indent + 2)
            }
        }
        return text
    }

    private func renderKey(_ key: String) -> String { Self.isSafePlain(key) ? key : YAMLQuoting.doubleQuoted(key) }

    /// Plain when the text reads back as the same string, else double-quoted.
    func renderScalar(_ text: String) -> String { Self.isSafePlain(text) ? text : YAMLQuoting.doubleQuoted(text) }

    /// The new text in the old scalar's quoting style when it can be written that way.
    private func renderScalar(_ text: String, like node: NodeID) -> String {
        switch document.style(node) {
        case .singleQuoted where !text.contains(where: { $0.isNewline }) && !text.unicodeScalars.contains(where: OutputEscaping.isBidiControl):
            return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .doubleQuoted:
            return YAMLQuoting.doubleQuoted(text)
        default:
            return renderScalar(text)
        }
    }

    static func isSafePlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        let allowed: (Unicode.Scalar) -> Bool = {
            ($0.value >= 0x30 && $0.value <= 0x39) || ($0.value >= 0x41 && $0.value <= 0x5A) || ($0.value >= 0x61 && $0.value <= 0x7A)
                || "_@.-+/ ".unicodeScalars.contains($0)
        }
        guard text.unicodeScalars.allSatisfy(allowed), first != " ", last != " ", first != "-", first != "." else { return false }
        return !YAMLWords.typedLowercased.contains(text.lowercased())
    }

    // MARK: - Bytes and lines

    /// The node's byte range in the file (libyaml counts characters; this converts).
    func byteRange(_ node: NodeID) -> Range<Int> {
        let range = document.byteRange(node)
        return byteOffset(range.lowerBound)..<byteOffset(range.upperBound)
    }

    private func byteOffset(_ characterIndex: Int) -> Int {
        if characterOffsets.isEmpty { return min(bomLength + characterIndex, source.bytes.count) }
        return Int(characterOffsets[min(characterIndex, characterOffsets.count - 1)])
    }

    private func lineStart(_ offset: Int) -> Int {
        var i = min(offset, source.bytes.count)
        while i > 0, source.bytes[i - 1] != 0x0A { i -= 1 }
        return i
    }

    /// The offset just past the line break of the line holding `offset` (or the end of the file).
    private func lineEndAfter(_ offset: Int) -> Int {
        var i = offset
        while i < source.bytes.count, source.bytes[i] != 0x0A { i += 1 }
        return min(i + 1, source.bytes.count)
    }

    func location(_ node: NodeID) -> SourceLocation {
        let mark = document.mark(node)
        return SourceLocation(file: source.path, line: mark.line, column: mark.column)
    }

    private func refusal(_ node: NodeID, _ message: String) -> EditError {
        EditError(at: location(node), message)
    }
}

extension SourceFile {
    func location(ofByteOffset offset: Int) -> SourceLocation {
        let mark = mark(ofByteOffset: offset)
        return SourceLocation(file: path, line: mark.line, column: mark.column)
    }
}
