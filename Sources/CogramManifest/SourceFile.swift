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
    public func line(_ line: Int) -> String? {
        guard line >= 1 else { return nil }
        var current = 1
        var start = 0
        var i = 0
        let n = bytes.count
        while i < n, current < line {
            if bytes[i] == UInt8(ascii: "\n") {
                current += 1
                start = i + 1
            } else if bytes[i] == UInt8(ascii: "\r") {
                current += 1
                if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                start = i + 1
            }
            i += 1
        }
        guard current == line, start <= n else { return nil }
        var end = start
        while end < n, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { end += 1 }
        var slice = Array(bytes[start..<end])
        if line == 1, slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice.removeFirst(3) }
        return String(decoding: slice, as: UTF8.self)
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
