import Foundation

/// Renders diagnostics as compilers do: `path:line:col: error: message`, the source line, and a caret under
/// the column. Colour is the caller's decision (terminal and `NO_COLOR`).
public struct DiagnosticRenderer: Sendable {
    private let sources: [String: SourceFile]
    public var color: Bool

    public init(sources: [SourceFile], color: Bool = false) {
        var byPath: [String: SourceFile] = [:]
        for source in sources { byPath[source.path] = source }
        self.sources = byPath
        self.color = color
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        render(diagnostic, lines: diagnostic.location.flatMap { sources[$0.file] }.map(LineIndex.init))
    }

    /// Renders every diagnostic, reading each file's line breaks once.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        var indexes: [String: LineIndex] = [:]
        var out = ""
        for diagnostic in diagnostics {
            var lines: LineIndex?
            if let file = diagnostic.location?.file, let source = sources[file] {
                lines = indexes[file] ?? LineIndex(source)
                indexes[file] = lines
            }
            out += render(diagnostic, lines: lines)
        }
        return out
    }

    /// "… and 9900 more errors and 2 more warnings not shown": the line that follows a capped list.
    public static func omitted(_ rest: ArraySlice<Diagnostic>) -> String {
        let parts = [Diagnostic.Severity.error, .warning, .note].compactMap { severity -> String? in
            let count = rest.filter { $0.severity == severity }.count
            return count == 0 ? nil : "\(count) more \(severity.rawValue)\(count == 1 ? "" : "s")"
        }
        return "… and \(parts.joined(separator: " and ")) not shown"
    }

    private func render(_ diagnostic: Diagnostic, lines: LineIndex?) -> String {
        var out = ""
        let label = diagnostic.severity.rawValue
        let paint: (String, String) -> String = { text, code in color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        let labelColor = diagnostic.severity == .error ? "1;31" : (diagnostic.severity == .warning ? "1;33" : "1;36")
        if let location = diagnostic.location {
            out += paint("\(location):", "1") + " " + paint("\(label):", labelColor) + " " + paint(Self.message(diagnostic.message), "1") + "\n"
            if let line = lines?.line(location.line), !line.isEmpty {
                let shown = Self.printable(line)
                out += shown + "\n"
                out += Self.caretPrefix(shown, column: location.column) + paint("^", "1;32") + "\n"
            }
        } else {
            out += paint("\(label):", labelColor) + " " + paint(Self.message(diagnostic.message), "1") + "\n"
        }
        return out
    }

    /// `::error file=…,line=…,col=…::message`, so that GitHub Actions shows the error on the pull request's diff.
    public static func githubAnnotation(_ diagnostic: Diagnostic) -> String {
        let kind = diagnostic.severity == .error ? "error" : (diagnostic.severity == .warning ? "warning" : "notice")
        let message = OutputEscaping.workflowData(Self.message(diagnostic.message))
        guard let location = diagnostic.location else { return "::\(kind)::\(message)" }
        // The path itself, encoded, so that GitHub finds the file on the diff.
        let file = OutputEscaping.workflowProperty(location.file)
        return "::\(kind) file=\(file),line=\(location.line),col=\(location.column)::\(message)"
    }

    /// A diagnostic's message under the terminal rule, at most 1,000 characters.
    static func message(_ text: String) -> String {
        let limit = 1_000
        let cut = text.unicodeScalars.count > limit
            ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit))) + "…" : text
        return OutputEscaping.terminal(cut)
    }

    /// A source line as shown above the caret: each control or bidi character replaced by U+FFFD (one for one,
    /// so that the caret stays under its column), tabs kept.
    static func printable(_ line: String, limit: Int = 400) -> String {
        var out = String.UnicodeScalarView()
        for (i, scalar) in line.unicodeScalars.enumerated() {
            if i >= limit {
                out.append(contentsOf: "…".unicodeScalars)
                break
            }
            if scalar == "\t" || !(scalar.properties.generalCategory == .control || OutputEscaping.isBidiControl(scalar)) {
                out.append(scalar)
            } else {
                out.append("\u{FFFD}")
            }
        }
        return String(out)
    }

    /// Spaces (tabs kept as tabs) up to the 1-based character column.
    static func caretPrefix(_ line: String, column: Int) -> String {
        var prefix = ""
        for (i, character) in line.enumerated() where i < column - 1 {
            prefix.append(character == "\t" ? "\t" : " ")
        }
        if column - 1 > line.count { prefix += String(repeating: " ", count: column - 1 - line.count) }
        return prefix
    }
}
