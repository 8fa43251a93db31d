/// Where each line of a source starts, found in one pass over its bytes, so that showing the source lines of
/// many diagnostics costs one scan of the file instead of one per diagnostic.
///
/// LF, CR LF and a lone CR each end a line, as libyaml counts them.
public struct LineIndex: Sendable {
    public let source: SourceFile
    /// Byte offset of the start of each line: `starts[0]` is line 1.
    private let starts: [Int]

    public init(_ source: SourceFile) {
        self.source = source
        var starts = [0]
        let bytes = source.bytes
        let n = bytes.count
        var i = 0
        while i < n {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") {
                starts.append(i + 1)
            } else if byte == UInt8(ascii: "\r") {
                if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                starts.append(i + 1)
            }
            i += 1
        }
        self.starts = starts
    }

    /// Number of lines; a final line break starts one more, empty line.
    public var lineCount: Int { starts.count }

    /// The text of 1-based `line`, without its line break (invalid UTF-8 shown as U+FFFD); nil when out of range.
    public func line(_ line: Int) -> String? {
        guard line >= 1, line <= starts.count else { return nil }
        let bytes = source.bytes
        let start = starts[line - 1]
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { end += 1 }
        var slice = bytes[start..<end]
        // A byte order mark is not part of the first line's text.
        if line == 1, slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
        return String(decoding: slice, as: UTF8.self)
    }
}
