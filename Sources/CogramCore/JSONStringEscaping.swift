/// How Foundation's `JSONEncoder` (with `.withoutEscapingSlashes`) writes the inside of a string: `"` and `\`
/// escaped, `\b \f \n \r \t`, the other C0 controls as `\u00xx` in lower-case hex, everything else (DEL, non-ASCII,
/// `/`) as it is. The writers that produce its exact bytes without it (`StableJSONWriter`, the sandbox's answers)
/// share this rule and only differ in their buffers.
public enum JSONStringEscaping {
    /// Whether the UTF-8 byte is written escaped.
    @inlinable @inline(__always)
    public static func escapes(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Gives `plain` each run of `source` written as it is and `escaped` the escape of each byte between the runs,
    /// in order. Almost every string has no such byte: `plain` then gets the whole of it at once.
    @inlinable
    public static func write(
        _ source: UnsafeBufferPointer<UInt8>, plain: (UnsafeBufferPointer<UInt8>) -> Void,
        escaped: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        var start = 0
        for index in source.indices where escapes(source[index]) {
            if start < index { plain(UnsafeBufferPointer(rebasing: source[start..<index])) }
            sequences[Int(source[index])].withUnsafeBufferPointer(escaped)
            start = index + 1
        }
        if start < source.count { plain(UnsafeBufferPointer(rebasing: source[start...])) }
    }

    /// The escape of each byte `escapes` is true for, indexed by the byte (empty for the others).
    @usableFromInline static let sequences: [[UInt8]] = (0..<256).map { value in
        let byte = UInt8(value)
        guard escapes(byte) else { return [] }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): return [UInt8(ascii: "\\"), byte]
        case 0x08: return Array(#"\b"#.utf8)
        case 0x0C: return Array(#"\f"#.utf8)
        case 0x0A: return Array(#"\n"#.utf8)
        case 0x0D: return Array(#"\r"#.utf8)
        case 0x09: return Array(#"\t"#.utf8)
        default:
            let hex = Array("0123456789abcdef".utf8)
            return Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
    }
}
