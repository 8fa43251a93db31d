import Foundation

/// The bytes of one manifest file, kept for diagnostics (source lines) and for the plan's manifest digest.
public struct SourceFile: Sendable, Hashable {
    public var path: String
    public var bytes: [UInt8]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// The text of 1-based `line`, without its line break (invalid UTF-8 shown as U+FFFD); nil when out of range.
    /// Scans the file: for many lines, build one `LineIndex` and ask it.
    public func line(_ line: Int) -> String? {
        LineIndex(self).line(line)
    }

    /// The 1-based line and column (in characters) of a byte offset, as libyaml counts them.
    public func mark(ofByteOffset offset: Int) -> Mark {
        var line = 1
        var lineStart = 0
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            // LF, CR LF and a lone CR each end a line, as libyaml (and `line(_:)`) count them.
            if bytes[i] == UInt8(ascii: "\n")
                || (bytes[i] == UInt8(ascii: "\r") && (i + 1 >= bytes.count || bytes[i + 1] != UInt8(ascii: "\n"))) {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        // Count characters (UTF-8 lead bytes) between the line start and the offset.
        // A byte order mark is not a character of the first line.
        if lineStart == 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { lineStart = min(3, end) }
        var column = 1
        for b in bytes[lineStart..<end] where b & 0xC0 != 0x80 { column += 1 }
        return Mark(line: line, column: column)
    }
}
