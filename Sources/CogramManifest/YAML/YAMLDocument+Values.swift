/// A composed document read as plain values, for documents that are not manifests (the live OpenAPI document
/// `doctor` compares): the same composer, so the same byte, depth and alias-expansion limits.
extension YAMLDocument {
    /// A scalar as the YAML 1.2 core schema reads it.
    public enum Scalar: Sendable, Hashable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
    }

    /// Builds a value of the caller's type bottom-up: `scalar` for each scalar, `sequence` for each list,
    /// `mapping` for each mapping (its keys' text in order). Aliases are visited as what they name, so the work is
    /// bounded by the expansion limit the document was composed under.
    public func fold<Value>(
        scalar: (Scalar) -> Value, sequence: ([Value]) -> Value, mapping: ([(key: String, value: Value)]) -> Value
    ) -> Value {
        func visit(_ id: NodeID) -> Value {
            switch kind(id) {
            case .scalar:
                return scalar(resolved(id))
            case .sequence:
                return sequence(children(id).map(visit))
            case .mapping:
                return mapping((0..<pairCount(id)).map { index in
                    let key = self.key(id, index)
                    return (self.scalar(key) ?? kindDescription(key), visit(value(id, index)))
                })
            }
        }
        return visit(root)
    }

    /// A scalar typed by its tag, or, when plain and untagged, by its text.
    private func resolved(_ id: NodeID) -> Scalar {
        let text = self.scalar(id) ?? ""
        switch tag(id) {
        case .null: return .null
        case .bool: return boolText(id).map(Scalar.bool) ?? .string(text)
        case .int, .float: return Double(text).map(Scalar.number) ?? .string(text)
        case .str, .map, .seq, .merge: return .string(text)
        case nil: break
        }
        guard isPlain(id) else { return .string(text) }
        if isNullText(id) { return .null }
        if let flag = boolText(id) { return .bool(flag) }
        // Digits first, so that words Double reads ("nan", "infinity") stay strings.
        if let first = text.unicodeScalars.first, first == "-" || first == "+" || first == "." || ("0"..."9").contains(first),
           let number = Double(text) {
            return .number(number)
        }
        return .string(text)
    }
}
