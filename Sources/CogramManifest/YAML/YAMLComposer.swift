import CLibYAML
import Foundation

/// Limits that keep a hostile file from costing more than a bounded amount of time and memory.
public struct LoaderLimits: Sendable, Hashable {
    /// Largest manifest file read, in bytes.
    public var maxFileBytes: Int
    /// Deepest nesting of lists and mappings.
    public var maxDepth: Int
    /// Total number of nodes that aliases may add to one file's tree.
    public var maxAliasExpansion: Int
    /// Total bytes of scalar text that aliases may add to one file's tree: a few aliases of one huge scalar are
    /// few nodes, but each becomes a string of its own when decoded.
    public var maxAliasExpansionBytes: Int

    public init(
        maxFileBytes: Int = 32 << 20, maxDepth: Int = 64, maxAliasExpansion: Int = 100_000,
        maxAliasExpansionBytes: Int = 4 << 20
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
        self.maxAliasExpansionBytes = maxAliasExpansionBytes
    }

    public static let `default` = LoaderLimits()
}

/// Turns one YAML source into a node tree with marks, over libyaml's event API.
///
/// The composer is iterative (an explicit stack), so nesting depth costs heap, never the C stack; it stops at
/// `maxDepth`. It resolves aliases (bounded by `maxAliasExpansion`) and merge keys, and reports what libyaml
/// does not: duplicate keys, unknown tags, several documents and empty files.
public enum YAMLComposer {
    /// Largest source composed: offsets in a `YAMLDocument` are 32-bit.
    static let maxSourceBytes = 1 << 30

    public static func compose(_ source: SourceFile, limits: LoaderLimits = .default) -> (document: YAMLDocument?, diagnostics: [Diagnostic]) {
        var document = YAMLDocument()
        let (composed, diagnostics) = compose(source, limits: limits, into: &document)
        return (composed ? document : nil, diagnostics)
    }

    /// Composes into `document`, replacing what it held but keeping its arrays' memory: loading many files through
    /// one document touches memory the process already has instead of faulting in fresh pages for every file.
    /// Returns whether a document was composed; when not, `document` holds nothing of use.
    static func compose(
        _ source: SourceFile, limits: LoaderLimits, into document: inout YAMLDocument
    ) -> (composed: Bool, diagnostics: [Diagnostic]) {
        guard source.bytes.count <= maxSourceBytes else {
            return (false, [.fileTooLarge(source.path, bytes: source.bytes.count, limit: maxSourceBytes)])
        }
        // libyaml reads the source's own bytes, pinned for the whole composition, rather than a copy of them.
        return source.bytes.withUnsafeBufferPointer { input in
            var session = ComposerSession(source: source, input: input, limits: limits)
            swap(&session.document, &document)
            session.clearDocument()
            let result = session.run()
            swap(&session.document, &document)
            return result
        }
    }
}

/// Owns the libyaml parser for the length of one composition. The input it reads is borrowed: the caller keeps it
/// alive and in place until the handle is gone (`YAMLComposer.compose` holds the source's bytes pinned meanwhile).
private final class ParserHandle {
    let parser: UnsafeMutablePointer<yaml_parser_t>
    /// libyaml wants a non-null pointer even for an empty input; an empty array may not have one.
    private let placeholder: UnsafeMutablePointer<UInt8>?

    init(input: UnsafeBufferPointer<UInt8>) {
        parser = .allocate(capacity: 1)
        yaml_parser_initialize(parser)
        if let base = input.baseAddress {
            placeholder = nil
            yaml_parser_set_input_string(parser, base, input.count)
        } else {
            let empty = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
            placeholder = empty
            yaml_parser_set_input_string(parser, empty, 0)
        }
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        placeholder?.deallocate()
    }
}

/// One composition. A struct, used as a local variable, so that its arrays are mutated without the runtime
/// exclusivity checks a class's stored properties cost on every access (a tenth of loading a large file).
private struct ComposerSession {
    typealias NodeID = YAMLDocument.NodeID

    private let source: SourceFile
    private let limits: LoaderLimits
    private let parserHandle: ParserHandle
    private var parser: UnsafeMutablePointer<yaml_parser_t> { parserHandle.parser }
    private var diagnostics: [Diagnostic] = []

    /// An open list or mapping; its children so far are `scratch[childrenStart...]`.
    private struct Frame {
        var isMapping: Bool
        var childrenStart: Int
        var line: Int32
        var column: Int32
        var tag: YAMLTag?
        var anchor: String?
        var startOffset: Int32
        var isFlow: Bool
    }

    fileprivate(set) var document = YAMLDocument()
    private var stack: [Frame] = []
    /// The children of every open list and mapping, innermost last; moved to `document.children` when one closes.
    private var scratch: [NodeID] = []
    private var anchors: [String: NodeID] = [:]
    private var aliasExpansion = 0
    private var aliasExpansionBytes: Int64 = 0
    private var hasRoot = false

    /// The source's bytes, pinned by `YAMLComposer.compose` for the whole composition.
    private let input: UnsafeBufferPointer<UInt8>

    init(source: SourceFile, input: UnsafeBufferPointer<UInt8>, limits: LoaderLimits) {
        self.source = source
        self.limits = limits
        self.input = input
        parserHandle = ParserHandle(input: input)
    }

    /// Empties `document` for this source, keeping the memory of its node arrays.
    mutating func clearDocument() {
        document.nodes.removeAll(keepingCapacity: true)
        document.children.removeAll(keepingCapacity: true)
        document.root = 0
        // A scalar whose text is written as it is in the source (nearly every one) points into the source's bytes,
        // which the document shares rather than copies; other text is appended after them.
        document.bytes = source.bytes
        // A line of YAML is a few nodes.
        document.nodes.reserveCapacity(source.bytes.count / 12)
        document.children.reserveCapacity(source.bytes.count / 12)
    }

    mutating func run() -> (composed: Bool, diagnostics: [Diagnostic]) {
        var documents = 0
        var event = yaml_event_t()
        loop: while true {
            guard yaml_parser_parse(parser, &event) == 1 else {
                diagnostics.append(parserError())
                return (false, diagnostics)
            }
            let keepGoing = handle(&event, documents: &documents)
            yaml_event_delete(&event)
            switch keepGoing {
            case .next: continue
            case .end: break loop
            case .fatal: return (false, diagnostics)
            }
        }
        if documents == 0 {
            diagnostics.append(error(Mark(line: 1, column: 1), "the file is empty; a manifest starts with 'version: 1'"))
            return (false, diagnostics)
        }
        return (hasRoot, diagnostics)
    }

    private enum Step { case next, end, fatal }

    private mutating func handle(_ event: inout yaml_event_t, documents: inout Int) -> Step {
        let line = Int32(truncatingIfNeeded: event.start_mark.line + 1)
        let column = Int32(truncatingIfNeeded: event.start_mark.column + 1)
        let startOffset = Int32(truncatingIfNeeded: event.start_mark.index)
        let endOffset = Int32(truncatingIfNeeded: event.end_mark.index)
        switch event.type {
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let style: ScalarStyle = switch scalar.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: .literal
            case YAML_FOLDED_SCALAR_STYLE: .folded
            default: .plain
            }
            var start: Int32 = 0
            if scalar.length > 0 {
                start = textOffset(scalar.value, count: scalar.length, style: style, from: startOffset, to: endOffset)
            }
            let id = append(YAMLDocument.Node(
                kind: .scalar, style: style, tag: nil, flags: [], line: line, column: column, start: start,
                count: Int32(truncatingIfNeeded: scalar.length), size: 1, startOffset: startOffset, endOffset: endOffset))
            if scalar.anchor != nil { document.nodes[Int(id)].flags.insert(.anchored) }
            if scalar.tag != nil {
                document.nodes[Int(id)].tag = checkedTag(scalar.tag, Mark(line: Int(line), column: Int(column)), on: .scalar(id))
            }
            if let anchor = scalar.anchor { anchors[string(anchor)] = id }
            add(id)
            return .next
        case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
            let mark = Mark(line: Int(line), column: Int(column))
            guard push(mark) else { return .fatal }
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let (tagPointer, anchor) = isMapping
                ? (event.data.mapping_start.tag, event.data.mapping_start.anchor)
                : (event.data.sequence_start.tag, event.data.sequence_start.anchor)
            let tag = tagPointer == nil ? nil : checkedTag(tagPointer, mark, on: isMapping ? .mapping : .sequence)
            let isFlow = isMapping
                ? event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                : event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
            stack.append(Frame(
                isMapping: isMapping, childrenStart: scratch.count, line: line, column: column, tag: tag,
                anchor: anchor.map { string($0) }, startOffset: startOffset, isFlow: isFlow))
            return .next
        case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
            guard let frame = stack.popLast(), frame.isMapping == (event.type == YAML_MAPPING_END_EVENT) else { return .fatal }
            close(frame, endOffset: endOffset)
            return .next
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor)
            let mark = Mark(line: Int(line), column: Int(column))
            guard let id = anchors[name] else {
                diagnostics.append(error(mark, "unknown alias '*\(name)': no anchor '&\(name)' comes before it"))
                return .fatal
            }
            aliasExpansion += Int(document.nodes[Int(id)].size)
            if aliasExpansion > limits.maxAliasExpansion {
                diagnostics.append(error(mark, "aliases expand to more than \(limits.maxAliasExpansion) nodes; refusing to expand further (a \"billion laughs\" file?)"))
                return .fatal
            }
            let weight = document.weight(id)
            aliasExpansionBytes += weight
            // A saturated weight is more than any limit can be told apart from.
            if weight >= Int64(Int32.max) || aliasExpansionBytes > Int64(limits.maxAliasExpansionBytes) {
                diagnostics.append(error(mark, "aliases expand to more than \(limits.maxAliasExpansionBytes) bytes of text; refusing to expand further (use the value once, or shorten it)"))
                return .fatal
            }
            add(id)
            return .next
        case YAML_STREAM_START_EVENT:
            // libyaml detects UTF-16 from a byte order mark; manifests are UTF-8 only.
            if event.data.stream_start.encoding != YAML_UTF8_ENCODING {
                diagnostics.append(error(Mark(line: 1, column: 1), "the file is UTF-16 encoded; save it as UTF-8"))
                return .fatal
            }
            return .next
        case YAML_DOCUMENT_END_EVENT, YAML_NO_EVENT:
            return .next
        case YAML_STREAM_END_EVENT:
            return .end
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                diagnostics.append(error(Mark(line: Int(line), column: Int(column)), "the file holds several YAML documents; put each manifest in a file of its own"))
                return .fatal
            }
            return .next
        default:
            return .next
        }
    }

    /// Where a scalar's text is in `document.bytes`: in the source when it is written there as it is (a plain or
    /// quoted scalar without escapes or folded lines, which the byte comparison confirms), else appended.
    private mutating func textOffset(
        _ value: UnsafeMutablePointer<yaml_char_t>, count: Int, style: ScalarStyle, from startOffset: Int32, to endOffset: Int32
    ) -> Int32 {
        let quotes = style == .plain ? 0 : (style == .singleQuoted || style == .doubleQuoted) ? 1 : -1
        let textStart = Int(startOffset) + quotes
        if quotes >= 0, Int(endOffset) - Int(startOffset) == count + 2 * quotes, textStart >= 0,
           textStart + count <= input.count, let base = input.baseAddress,
           memcmp(base + textStart, value, count) == 0 {
            return Int32(truncatingIfNeeded: textStart)
        }
        // The first text of its own: `document.bytes` is still the source's bytes.
        if document.bytes.count == input.count {
            document.bytes.reserveCapacity(input.count + input.count / 4 + count)
        }
        let start = Int32(truncatingIfNeeded: document.bytes.count)
        document.bytes.append(contentsOf: UnsafeBufferPointer(start: value, count: count))
        return start
    }

    private mutating func push(_ mark: Mark) -> Bool {
        if stack.count >= limits.maxDepth {
            diagnostics.append(error(mark, "lists and mappings are nested more than \(limits.maxDepth) levels deep"))
            return false
        }
        return true
    }

    private mutating func append(_ node: YAMLDocument.Node) -> NodeID {
        document.nodes.append(node)
        return NodeID(truncatingIfNeeded: document.nodes.count - 1)
    }

    private mutating func add(_ id: NodeID) {
        if stack.isEmpty {
            document.root = id
            hasRoot = true
        } else {
            scratch.append(id)
        }
    }

    /// Makes the node of a list or mapping from its children in `scratch`.
    private mutating func close(_ frame: Frame, endOffset flowEnd: Int32) {
        var flags: YAMLDocument.NodeFlags = frame.isFlow ? .flow : []
        if frame.anchor != nil { flags.insert(.anchored) }
        // A block collection's end event sits at the next token, past comments and blank lines; its own last byte
        // is where its last child ends. A flow collection ends at its closing bracket.
        var endOffset = frame.isFlow ? flowEnd : frame.startOffset
        var size: Int32 = 1
        var weight: Int64 = 0
        let resolving = frame.isMapping && needsResolving(from: frame.childrenStart)
        // Made only for a mapping with merge keys or keys to check by `String`.
        var pairs: [NodeID]?
        if resolving {
            if scratch[frame.childrenStart...].contains(where: { isMergeKey($0) }) { flags.insert(.merged) }
            pairs = resolveMerges(Array(scratch[frame.childrenStart...]))
        }
        // One pass over the children as kept, before they are stored (after the slot that holds the weight this
        // pass sums); the end offset over the children as written, which are the same unless merges were resolved.
        let endFromKept = !frame.isFlow && !resolving
        document.nodes.withUnsafeBufferPointer { nodes in
            document.children.withUnsafeBufferPointer { children in
                func sum(_ kept: UnsafeBufferPointer<NodeID>) {
                    for child in kept {
                        let node = nodes[Int(child)]
                        size &+= node.size
                        weight &+= node.weight(in: children)
                        if endFromKept { endOffset = max(endOffset, node.endOffset) }
                    }
                }
                if let pairs {
                    pairs.withUnsafeBufferPointer { sum($0) }
                } else {
                    scratch.withUnsafeBufferPointer { sum(UnsafeBufferPointer(rebasing: $0[frame.childrenStart...])) }
                }
            }
            if resolving, !frame.isFlow {
                scratch.withUnsafeBufferPointer { written in
                    for child in written[frame.childrenStart...] { endOffset = max(endOffset, nodes[Int(child)].endOffset) }
                }
            }
        }
        document.children.append(Int32(clamping: weight))
        let start = Int32(truncatingIfNeeded: document.children.count)
        if let pairs {
            document.children.append(contentsOf: pairs)
        } else {
            scratch.withUnsafeBufferPointer { written in
                document.children.append(contentsOf: UnsafeBufferPointer(rebasing: written[frame.childrenStart...]))
            }
        }
        // Usually a few children: popping them costs less than the general `removeSubrange`.
        while scratch.count > frame.childrenStart { scratch.removeLast() }
        let count = Int32(truncatingIfNeeded: document.children.count) - start
        let id = append(YAMLDocument.Node(
            kind: frame.isMapping ? .mapping : .sequence, style: .plain, tag: frame.tag, flags: flags, line: frame.line,
            column: frame.column, start: start, count: count, size: size, startOffset: frame.startOffset,
            endOffset: endOffset))
        if let anchor = frame.anchor { anchors[anchor] = id }
        add(id)
    }

    /// Applies `<<` merge keys (explicit keys win; among merged mappings the earlier wins) and reports
    /// duplicate explicit keys, keeping the first. `pairs` is key, value, key, value…
    private mutating func resolveMerges(_ pairs: [NodeID]) -> [NodeID] {
        var explicit: [NodeID] = []
        var merged: [NodeID] = []
        var seen: [String: Mark] = [:]
        explicit.reserveCapacity(pairs.count)
        for index in stride(from: 0, to: pairs.count, by: 2) {
            let key = pairs[index]
            if isMergeKey(key) {
                merged.append(contentsOf: mergeSources(pairs[index + 1]))
                continue
            }
            if let name = document.scalar(key) {
                if let first = seen[name] {
                    diagnostics.append(error(document.mark(key), "duplicate key '\(name)' in this mapping; first at line \(first.line), column \(first.column)"))
                    continue
                }
                seen[name] = document.mark(key)
            }
            explicit.append(key)
            explicit.append(pairs[index + 1])
        }
        for index in stride(from: 0, to: merged.count, by: 2) {
            guard let name = document.scalar(merged[index]), seen[name] == nil else { continue }
            seen[name] = document.mark(merged[index])
            explicit.append(merged[index])
            explicit.append(merged[index + 1])
        }
        return explicit
    }

    /// Whether a mapping's pairs need `resolveMerges`. Nearly every mapping is small, with ASCII keys, without merge
    /// keys or duplicates: then its pairs are kept as they are, found by comparing bytes, without a dictionary or a
    /// `String` per key.
    /// The pairs are `scratch[start...]`, read in place (a slice of `scratch` would retain it for every mapping).
    private func needsResolving(from start: Int) -> Bool {
        guard scratch.count - start <= 32 else { return true }
        return scratch.withUnsafeBufferPointer { pairs in
            document.nodes.withUnsafeBufferPointer { nodes in
                document.bytes.withUnsafeBufferPointer { bytes in
                    func text(_ node: YAMLDocument.Node) -> UnsafeBufferPointer<UInt8> {
                        UnsafeBufferPointer(rebasing: bytes[Int(node.start)..<Int(node.start + node.count)])
                    }
                    for i in stride(from: start, to: pairs.count, by: 2) {
                        let key = nodes[Int(pairs[i])]
                        guard key.kind == .scalar else { continue }
                        let keyText = text(key)
                        if keyText.contains(where: { $0 >= 0x80 }) { return true }
                        // `<<` in any style or tag: `resolveMerges` tells a merge key from a plain key spelled so.
                        if keyText.count == 2, keyText[0] == UInt8(ascii: "<"), keyText[1] == UInt8(ascii: "<") { return true }
                        for j in stride(from: start, to: i, by: 2) {
                            let other = nodes[Int(pairs[j])]
                            if other.kind == .scalar, other.count == key.count,
                               other.start == key.start || text(other).elementsEqual(keyText) { return true }
                        }
                    }
                    return false
                }
            }
        }
    }

    private func isMergeKey(_ key: NodeID) -> Bool {
        guard document.scalarEquals(key, "<<") else { return false }
        let tag = document.tag(key)
        return tag == .merge || (tag == nil && document.isPlain(key))
    }

    /// The pairs a merge key's value brings: a mapping's, or those of each mapping of a list.
    private mutating func mergeSources(_ value: NodeID) -> [NodeID] {
        switch document.kind(value) {
        case .mapping:
            return Array(document.children(value))
        case .sequence:
            var out: [NodeID] = []
            for item in document.children(value) {
                if document.kind(item) == .mapping {
                    out.append(contentsOf: document.children(item))
                } else {
                    diagnostics.append(error(document.mark(item), "a merge key '<<' takes a mapping or a list of mappings, not \(document.kindDescription(item))"))
                }
            }
            return out
        case .scalar:
            diagnostics.append(error(document.mark(value), "a merge key '<<' takes a mapping or a list of mappings, not \(document.kindDescription(value))"))
            return []
        }
    }

    /// What a tag is written on: a list or mapping not yet closed, or a scalar already in the document (untagged).
    private enum TagTarget {
        case mapping, sequence
        case scalar(NodeID)
    }

    /// The tag when it is standard and fits the node (`!!map` on a mapping, `!!int` on an integer, …); reports
    /// any other tag and returns nil.
    private mutating func checkedTag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ mark: Mark, on target: TagTarget) -> YAMLTag? {
        guard let name = optionalString(pointer) else { return nil }
        let shown = name.hasPrefix(YAMLTag.prefix) ? "!!" + name.dropFirst(YAMLTag.prefix.count) : name
        if name == "!" { return nil }
        guard let tag = YAMLTag(name: name) else {
            diagnostics.append(error(mark, "unknown tag '\(shown)'; manifests use only the standard YAML tags"))
            return nil
        }
        let fits: Bool
        let description: String
        switch target {
        case .mapping:
            fits = tag == .map
            description = "a mapping"
        case .sequence:
            fits = tag == .seq
            description = "a list"
        case .scalar(let id):
            let value = document.scalar(id) ?? ""
            switch tag {
            case .str, .merge: fits = true
            case .null: fits = document.isNullText(id)
            case .bool: fits = document.boolText(id) != nil
            case .int: fits = value.wholeMatch(of: /[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)/) != nil
            case .float: fits = Double(value) != nil || [".inf", "-.inf", "+.inf", ".nan", ".Inf", ".NaN"].contains(value)
            case .map, .seq: fits = false
            }
            let preview = value.count > 40 ? String(value.prefix(40)) + "…" : value
            description = document.kindDescription(id) + " '\(preview)'"
        }
        if !fits {
            diagnostics.append(error(mark, "the tag '\(shown)' does not fit \(description)"))
            return nil
        }
        return tag
    }

    private func parserError() -> Diagnostic {
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) } ?? "unknown error"
        switch p.error {
        case YAML_READER_ERROR:
            let mark = source.mark(ofByteOffset: Int(p.problem_offset))
            if problem.contains("UTF-8") || problem.contains("UTF-16") {
                return error(mark, "the file is not valid UTF-8 (\(problem))")
            }
            if problem.contains("control characters") {
                return error(mark, "control characters such as NUL are not allowed in YAML (byte 0x\(String(p.problem_value, radix: 16, uppercase: true)))")
            }
            return error(mark, "cannot read the file: \(problem)")
        case YAML_MEMORY_ERROR:
            return error(nil, "libyaml ran out of memory")
        default:
            let problemMark = Mark(line: Int(p.problem_mark.line) + 1, column: Int(p.problem_mark.column) + 1)
            let contextMark = Mark(line: Int(p.context_mark.line) + 1, column: Int(p.context_mark.column) + 1)
            let context = p.context.map { String(cString: $0) }
            let problemLine = source.line(problemMark.line)
            if let problemLine, characterAt(problemLine, problemMark.column) == "\t" {
                return error(problemMark, "a tab character here; YAML indentation must use spaces")
            }
            // At the end of the file the problem mark points at nothing; the start of what was left open
            // (a quoted scalar, a flow list) is the place to show.
            let nothingThere = problemLine.map { $0.allSatisfy(\.isWhitespace) } ?? true
            let atEnd = nothingThere && context != nil
            var message = "invalid YAML: \(problem)"
            if let context {
                message += atEnd ? " (\(context) that starts here)" : " (\(context) at line \(contextMark.line), column \(contextMark.column))"
            }
            if !atEnd, let hint = Self.indentationHint(problem: problem, contextMark: contextMark, problemLine: problemLine) {
                message += hint
            }
            return error(atEnd ? contextMark : problemMark, message)
        }
    }

    /// libyaml reports a line indented differently from its neighbours as a missing `-` or key of the block that
    /// was open; saying which column that block uses points at the usual cause.
    static func indentationHint(problem: String, contextMark: Mark, problemLine: String?) -> String? {
        let isList: Bool
        switch problem {
        case "did not find expected '-' indicator": isList = true
        case "did not find expected key": isList = false
        default: return nil
        }
        guard let problemLine else { return nil }
        let column = problemLine.prefix(while: { $0 == " " }).count + 1
        // At the block's own column the indentation is right and what the line starts with is wrong.
        if column == contextMark.column {
            return isList
                ? "; this line is at the column of that list's items (\(column)) but does not start with '- ': "
                    + "start it with '- ', or indent it to belong to the item above"
                : "; this line is at the column of that mapping's keys (\(column)) but is not a 'key: value': "
                    + "a list belongs under a key, indented below it"
        }
        let what = isList ? "the items of that list start" : "the keys of that mapping start"
        return "; check the indentation: \(what) at column \(contextMark.column), this line at column \(column)"
    }

    private func characterAt(_ line: String, _ column: Int) -> Character? {
        guard column >= 1 else { return nil }
        var index = line.startIndex
        for _ in 1..<column {
            guard index < line.endIndex else { return nil }
            index = line.index(after: index)
        }
        return index < line.endIndex ? line[index] : nil
    }

    private func error(_ mark: Mark?, _ message: String) -> Diagnostic {
        Diagnostic(.error, at: mark.map { SourceLocation(file: source.path, line: $0.line, column: $0.column) }, message)
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String {
        optionalString(pointer) ?? ""
    }

    private func optionalString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }
}
