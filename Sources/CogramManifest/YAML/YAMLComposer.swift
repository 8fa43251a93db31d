import CLibYAML

/// Limits that keep a hostile file from costing more than a bounded amount of time and memory.
public struct LoaderLimits: Sendable, Hashable {
    /// Largest manifest file read, in bytes.
    public var maxFileBytes: Int
    /// Deepest nesting of lists and mappings.
    public var maxDepth: Int
    /// Total number of nodes that aliases may add to one file's tree.
    public var maxAliasExpansion: Int

    public init(maxFileBytes: Int = 32 << 20, maxDepth: Int = 64, maxAliasExpansion: Int = 100_000) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
    }

    public static let `default` = LoaderLimits()
}

/// Turns one YAML source into a node tree with marks, over libyaml's event API.
///
/// The composer is iterative (an explicit stack), so nesting depth costs heap, never the C stack; it stops at
/// `maxDepth`. It resolves aliases (bounded by `maxAliasExpansion`) and merge keys, and reports what libyaml
/// does not: duplicate keys, unknown tags, several documents and empty files.
public enum YAMLComposer {
    public static func compose(_ source: SourceFile, limits: LoaderLimits = .default) -> (node: YAMLNode?, diagnostics: [Diagnostic]) {
        let session = ComposerSession(source: source, limits: limits)
        return session.run()
    }
}

/// Owns the libyaml parser and the input buffer for the length of one composition.
private final class ComposerSession {
    private let source: SourceFile
    private let limits: LoaderLimits
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    /// libyaml reads from this buffer until the parser is deleted, so it lives exactly as long as the parser.
    private let input: UnsafeMutableBufferPointer<UInt8>
    private var diagnostics: [Diagnostic] = []

    /// An open list or mapping. A struct mutated in place through `stack[last]`, not an enum popped and pushed
    /// again: re-wrapping an enum payload copied the children array on every append (quadratic in the length
    /// of a list).
    private struct Frame {
        var isMapping: Bool
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        var mark: Mark
        var tag: String?
        var anchor: String?
    }

    private var stack: [Frame] = []
    private var anchors: [String: YAMLNode] = [:]
    private var aliasExpansion = 0
    private var root: YAMLNode?

    init(source: SourceFile, limits: LoaderLimits) {
        self.source = source
        self.limits = limits
        parser = .allocate(capacity: 1)
        input = .allocate(capacity: max(source.bytes.count, 1))
        _ = input.initialize(from: source.bytes)
        yaml_parser_initialize(parser)
        yaml_parser_set_input_string(parser, input.baseAddress, source.bytes.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    func run() -> (node: YAMLNode?, diagnostics: [Diagnostic]) {
        var documents = 0
        var event = yaml_event_t()
        loop: while true {
            guard yaml_parser_parse(parser, &event) == 1 else {
                diagnostics.append(parserError())
                return (nil, diagnostics)
            }
            let keepGoing = handle(&event, documents: &documents)
            yaml_event_delete(&event)
            switch keepGoing {
            case .next: continue
            case .end: break loop
            case .fatal: return (nil, diagnostics)
            }
        }
        if documents == 0 {
            diagnostics.append(error(Mark(line: 1, column: 1), "the file is empty; a manifest starts with 'version: 1'"))
            return (nil, diagnostics)
        }
        return (root, diagnostics)
    }

    private enum Step { case next, end, fatal }

    private func handle(_ event: inout yaml_event_t, documents: inout Int) -> Step {
        let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
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
                diagnostics.append(error(mark, "the file holds several YAML documents; put each manifest in a file of its own"))
                return .fatal
            }
            return .next
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor)
            guard let node = anchors[name] else {
                diagnostics.append(error(mark, "unknown alias '*\(name)': no anchor '&\(name)' comes before it"))
                return .fatal
            }
            aliasExpansion += node.size
            if aliasExpansion > limits.maxAliasExpansion {
                diagnostics.append(error(mark, "aliases expand to more than \(limits.maxAliasExpansion) nodes; refusing to expand further (a \"billion laughs\" file?)"))
                return .fatal
            }
            add(node)
            return .next
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let style: ScalarStyle = switch scalar.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: .literal
            case YAML_FOLDED_SCALAR_STYLE: .folded
            default: .plain
            }
            let node = YAMLNode(content: .scalar(value, style), mark: mark, tag: checkedTag(scalar.tag, mark, on: .scalar(value, style)))
            register(anchor: optionalString(scalar.anchor), node)
            add(node)
            return .next
        case YAML_SEQUENCE_START_EVENT:
            guard push(mark) else { return .fatal }
            let start = event.data.sequence_start
            stack.append(Frame(isMapping: false, mark: mark, tag: checkedTag(start.tag, mark, on: .sequence([])), anchor: optionalString(start.anchor)))
            return .next
        case YAML_MAPPING_START_EVENT:
            guard push(mark) else { return .fatal }
            let start = event.data.mapping_start
            stack.append(Frame(isMapping: true, mark: mark, tag: checkedTag(start.tag, mark, on: .mapping([])), anchor: optionalString(start.anchor)))
            return .next
        case YAML_SEQUENCE_END_EVENT:
            guard let frame = stack.popLast(), !frame.isMapping else { return .fatal }
            let node = YAMLNode(content: .sequence(frame.items), mark: frame.mark, tag: frame.tag)
            register(anchor: frame.anchor, node)
            add(node)
            return .next
        case YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast(), frame.isMapping else { return .fatal }
            let node = YAMLNode(content: .mapping(resolveMerges(frame.pairs)), mark: frame.mark, tag: frame.tag)
            register(anchor: frame.anchor, node)
            add(node)
            return .next
        default:
            return .next
        }
    }

    private func push(_ mark: Mark) -> Bool {
        if stack.count >= limits.maxDepth {
            diagnostics.append(error(mark, "lists and mappings are nested more than \(limits.maxDepth) levels deep"))
            return false
        }
        return true
    }

    private func add(_ node: YAMLNode) {
        let top = stack.count - 1
        guard top >= 0 else {
            root = node
            return
        }
        if !stack[top].isMapping {
            stack[top].items.append(node)
        } else if let key = stack[top].pendingKey {
            stack[top].pendingKey = nil
            stack[top].pairs.append(YAMLPair(key: key, value: node))
        } else {
            stack[top].pendingKey = node
        }
    }

    private func register(anchor: String?, _ node: YAMLNode) {
        if let anchor { anchors[anchor] = node }
    }

    /// Applies `<<` merge keys (explicit keys win; among merged mappings the earlier wins) and reports
    /// duplicate explicit keys, keeping the first.
    private func resolveMerges(_ pairs: [YAMLPair]) -> [YAMLPair] {
        // Nearly every mapping is small, without merge keys or duplicates: then the result is `pairs` itself,
        // found without building a dictionary per mapping (a third of composing a large file did that).
        if pairs.count <= 16, !pairs.contains(where: { isMergeKey($0.key) }), !Self.hasDuplicateScalarKey(pairs) {
            return pairs
        }
        var explicit: [YAMLPair] = []
        var merged: [YAMLPair] = []
        var seen: [String: Mark] = [:]
        explicit.reserveCapacity(pairs.count)
        for pair in pairs {
            if isMergeKey(pair.key) {
                merged.append(contentsOf: mergeSources(pair.value))
                continue
            }
            if let name = pair.key.scalar {
                if let first = seen[name] {
                    diagnostics.append(error(pair.key.mark, "duplicate key '\(name)' in this mapping; first at line \(first.line), column \(first.column)"))
                    continue
                }
                seen[name] = pair.key.mark
            }
            explicit.append(pair)
        }
        for pair in merged {
            guard let name = pair.key.scalar, seen[name] == nil else { continue }
            seen[name] = pair.key.mark
            explicit.append(pair)
        }
        return explicit
    }

    private static func hasDuplicateScalarKey(_ pairs: [YAMLPair]) -> Bool {
        for i in pairs.indices {
            guard let name = pairs[i].key.scalar else { continue }
            for j in 0..<i where pairs[j].key.scalar == name { return true }
        }
        return false
    }

    private func isMergeKey(_ key: YAMLNode) -> Bool {
        guard case .scalar("<<", let style) = key.content else { return false }
        return key.tag == YAMLTag.merge || (key.tag == nil && style == .plain)
    }

    private func mergeSources(_ value: YAMLNode) -> [YAMLPair] {
        switch value.content {
        case .mapping(let pairs):
            return pairs
        case .sequence(let items):
            var out: [YAMLPair] = []
            for item in items {
                if case .mapping(let pairs) = item.content {
                    out.append(contentsOf: pairs)
                } else {
                    diagnostics.append(error(item.mark, "a merge key '<<' takes a mapping or a list of mappings, not \(item.kindDescription)"))
                }
            }
            return out
        case .scalar:
            diagnostics.append(error(value.mark, "a merge key '<<' takes a mapping or a list of mappings, not \(value.kindDescription)"))
            return []
        }
    }

    /// The tag when it is standard and fits the node (`!!map` on a mapping, `!!int` on an integer, …); reports
    /// any other tag and returns nil.
    private func checkedTag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ mark: Mark, on content: YAMLNode.Content) -> String? {
        guard let tag = optionalString(pointer) else { return nil }
        let shown = tag.hasPrefix(YAMLTag.prefix) ? "!!" + tag.dropFirst(YAMLTag.prefix.count) : tag
        guard YAMLTag.standard.contains(tag) else {
            diagnostics.append(error(mark, "unknown tag '\(shown)'; manifests use only the standard YAML tags"))
            return nil
        }
        if tag == "!" { return nil }
        let fits: Bool
        switch content {
        case .mapping: fits = tag == YAMLTag.map
        case .sequence: fits = tag == YAMLTag.seq
        case .scalar(let value, _):
            switch tag {
            case YAMLTag.str, YAMLTag.merge: fits = true
            case YAMLTag.null: fits = ["", "~", "null", "Null", "NULL"].contains(value)
            case YAMLTag.bool: fits = ["true", "True", "TRUE", "false", "False", "FALSE"].contains(value)
            case YAMLTag.int: fits = value.wholeMatch(of: /[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)/) != nil
            case YAMLTag.float: fits = Double(value) != nil || [".inf", "-.inf", "+.inf", ".nan", ".Inf", ".NaN"].contains(value)
            default: fits = false
            }
        }
        if !fits {
            diagnostics.append(error(mark, "the tag '\(shown)' does not fit \(YAMLNode(content: content, mark: mark).kindDescription)\(content.isScalar ? " '\(content.scalarPreview)'" : "")"))
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
            if let line = source.line(problemMark.line), characterAt(line, problemMark.column) == "\t" {
                return error(problemMark, "a tab character here; YAML indentation must use spaces")
            }
            // At the end of the file the problem mark points at nothing; the start of what was left open
            // (a quoted scalar, a flow list) is the place to show.
            let nothingThere = source.line(problemMark.line).map { $0.allSatisfy(\.isWhitespace) } ?? true
            let atEnd = nothingThere && context != nil
            var message = "invalid YAML: \(problem)"
            if let context {
                message += atEnd ? " (\(context) that starts here)" : " (\(context) at line \(contextMark.line), column \(contextMark.column))"
            }
            return error(atEnd ? contextMark : problemMark, message)
        }
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

private extension YAMLNode.Content {
    var isScalar: Bool {
        if case .scalar = self { return true }
        return false
    }

    var scalarPreview: String {
        guard case .scalar(let value, _) = self else { return "" }
        return value.count > 40 ? String(value.prefix(40)) + "…" : value
    }
}
