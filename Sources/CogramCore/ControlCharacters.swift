// Text that comes from outside (Cogram's external ids, emails, names, error messages; a transport library's
// reason) is printed to terminals, CI logs and pull-request comments. None of it may move the cursor, colour the
// screen, start a line of its own (a `::error::` workflow command) or end a Markdown code span early.

/// The one definition of a control character, and the ways one is written out escaped.
public enum ControlCharacters {
    /// C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators (which start a new line in
    /// many terminals, editors and log viewers).
    public static func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    /// Whether `text` holds any control character.
    public static func occur(in text: String) -> Bool { text.unicodeScalars.contains(where: contains) }

    /// How an escaped control character is spelled.
    public enum Style: Sendable {
        /// `\u{1B}` for every one (upper-case hex): logs and messages of outside text.
        case braced
        /// `\n`, `\r`, `\t`, else `\u{1B}`: one line of a terminal, a plan's rendering.
        case terminal
        /// `\n`, `\t`, else `\u001b` (four lower-case hex digits), inside a double-quoted value.
        case quoted
    }

    /// `scalar` spelled in `style`; the caller has checked `contains(scalar)`.
    public static func escape(_ scalar: Unicode.Scalar, _ style: Style) -> String {
        switch (style, scalar) {
        case (.terminal, "\n"), (.quoted, "\n"): return "\\n"
        case (.terminal, "\r"): return "\\r"
        case (.terminal, "\t"), (.quoted, "\t"): return "\\t"
        case (.quoted, _):
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        default:
            return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }

    /// `text` with every control character escaped in `style`; the text itself when it has none.
    public static func escaping(_ text: String, _ style: Style) -> String {
        guard occur(in: text) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if contains(scalar) {
                out.append(contentsOf: escape(scalar, style).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// `text` without its control characters: what may go into an HTTP header value.
    public static func removing(from text: String) -> String {
        guard occur(in: text) else { return text }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: text.unicodeScalars.filter { !contains($0) })
        return String(out)
    }
}
