// Names, emails, external ids and messages from Cogram, and file names from a checkout, reach four kinds of output:
// a terminal or CI log, GitHub workflow commands, Markdown (pull-request comments, step summaries, issue bodies) and
// CSV. Each kind has one rule, defined here, and every renderer goes through it; docs/reliability.md lists them.

/// The escaping rule of each kind of output.
public enum OutputEscaping {
    /// Bidirectional formatting characters: embeddings and overrides (U+202A…U+202E), isolates (U+2066…U+2069) and
    /// the invisible marks (U+200E, U+200F, U+061C). They reorder what a reader sees ("Trojan Source").
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// Terminal and human text (also each line of a code block in Markdown): control characters written as `\n`,
    /// `\r`, `\t` or `\u{1B}`, and bidi controls as `\u{202E}`, so that outside text stays on its line, cannot move
    /// the cursor or colour the screen, cannot start a workflow command, and reads in the order it is stored.
    public static func terminal(_ text: String) -> String {
        if ASCIIText.isPrintable(text) { return text }
        return terminalScalars(text)
    }

    /// `terminal` for any text, scalar by scalar.
    static func terminalScalars(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ControlCharacters.contains($0) || isBidiControl($0) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if ControlCharacters.contains(scalar) {
                out.append(contentsOf: ControlCharacters.escape(scalar, .terminal).unicodeScalars)
            } else if isBidiControl(scalar) {
                out.append(contentsOf: ControlCharacters.escape(scalar, .braced).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// The message of a GitHub workflow command (`::error …::MESSAGE`): `%`, CR and LF percent-encoded, as GitHub
    /// documents (toolkit `escapeData`).
    public static func workflowData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A property value of a GitHub workflow command (`file=VALUE,line=…`): as `workflowData`, and `:` and `,`
    /// too (toolkit `escapeProperty`), so that a value cannot end the properties or add one.
    public static func workflowProperty(_ text: String) -> String {
        workflowData(text)
            .replacingOccurrences(of: ":", with: "%3A")
            .replacingOccurrences(of: ",", with: "%2C")
    }

    /// Zero-width space: breaks a mention or an autolink without changing what a reader sees.
    static let breaker: Unicode.Scalar = "\u{200B}"

    /// Markdown text (outside code): the terminal rule, then a backslash before each character that would start
    /// markup (`\`, backtick, `*`, `_`, `[`, `]`, `<`, `>`, `|`, `#`), a zero-width space after every `@` (no `@mention`, no email autolink),
    /// inside `://` (`https\u{200B}://`) and after `www` before a dot, so that GitHub neither notifies anyone nor
    /// makes a link of text that came from outside.
    public static func markdownText(_ text: String) -> String {
        // Printable ASCII has nothing for the terminal rule and no multi-byte scalar, so the rules below can be
        // applied to its bytes (every report cell goes through here: figure 12).
        if let escaped = ASCIIText.markdownText(text) { return escaped }
        return markdownTextScalars(text)
    }

    /// `markdownText` for any text, scalar by scalar.
    static func markdownTextScalars(_ text: String) -> String {
        let safe = terminal(text)
        var out = String.UnicodeScalarView()
        let scalars = Array(safe.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            switch scalar {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#":
                out.append("\\")
                out.append(scalar)
            case "@":
                out.append(scalar)
                out.append(breaker)
            case ":" where i + 2 < scalars.count && scalars[i + 1] == "/" && scalars[i + 2] == "/":
                out.append(breaker)
                out.append(scalar)
            case "." where i >= 3 && String(String.UnicodeScalarView(scalars[(i - 3)..<i])).lowercased() == "www":
                out.append(breaker)
                out.append(scalar)
            default:
                out.append(scalar)
            }
            i += 1
        }
        return String(out)
    }

    /// A Markdown code span holding `text` literally (no mention, link or markup inside one): the terminal rule,
    /// fenced with more backticks than its longest run of them, padded when it starts or ends with one.
    public static func markdownCode(_ text: String) -> String {
        let safe = terminal(text)
        var longest = 0
        var run = 0
        if ASCIIText.isPrintable(safe) {
            // One byte is one character here; a backtick cannot carry a combining mark.
            for byte in safe.utf8 {
                run = byte == UInt8(ascii: "`") ? run + 1 : 0
                longest = max(longest, run)
            }
        } else {
            for ch in safe {
                run = ch == "`" ? run + 1 : 0
                longest = max(longest, run)
            }
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = safe.hasPrefix("`") || safe.hasSuffix("`") || safe.hasPrefix(" ") && safe.hasSuffix(" ") ? " " : ""
        var out = ""
        out.reserveCapacity(safe.utf8.count + 2 * (fence.utf8.count + pad.utf8.count))
        out += fence
        out += pad
        out += safe
        out += pad
        out += fence
        return out
    }

    /// One CSV field (RFC 4180): a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
    /// leading `'` so that a spreadsheet does not run it as a formula; then quoted when it holds a comma, a quote,
    /// CR or LF. Bidi controls are escaped (the terminal rule) because a spreadsheet shows them reordered too.
    public static func csvField(_ value: String) -> String {
        if ASCIIText.isPlainCSVField(value) { return value }
        return csvFieldScalars(value)
    }

    /// Whether `csvField` returns `value` as it is: printable ASCII that neither starts a formula nor needs quotes.
    public static func isPlainCSVField(_ value: String) -> Bool {
        ASCIIText.isPlainCSVField(value)
    }

    /// `csvField` for any text, scalar by scalar.
    static func csvFieldScalars(_ value: String) -> String {
        var value = value
        if value.unicodeScalars.contains(where: isBidiControl) {
            var out = String.UnicodeScalarView()
            for scalar in value.unicodeScalars {
                if isBidiControl(scalar) {
                    out.append(contentsOf: ControlCharacters.escape(scalar, .braced).unicodeScalars)
                } else {
                    out.append(scalar)
                }
            }
            value = String(out)
        }
        if let first = value.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Byte-level checks for the common case, printable ASCII, where each rule above is decided per byte; anything
/// else (controls, non-ASCII) takes the scalar paths, so the fast paths cannot disagree with them on it.
enum ASCIIText {
    /// Every byte is printable ASCII (0x20…0x7E): no control character, no bidi control, one scalar per byte.
    static func isPrintable(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for byte in bytes where byte < 0x20 || byte > 0x7E { return false }
            return true
        }
    }

    /// A CSV cell that stays as it is: printable ASCII that neither starts a formula nor needs quotes.
    static func isPlainCSVField(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            if let first = bytes.first {
                switch first {
                case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"): return false
                default: break
                }
            }
            for byte in bytes {
                if byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") { return false }
            }
            return true
        }
    }

    /// `OutputEscaping.markdownText` of printable ASCII, byte by byte; nil for any other text.
    static func markdownText(_ text: String) -> String? {
        let original = text
        var text = text
        return text.withUTF8 { bytes -> String? in
            var changed = false
            for byte in bytes {
                guard byte >= 0x20, byte <= 0x7E else { return nil }
                switch byte {
                case UInt8(ascii: "\\"), UInt8(ascii: "`"), UInt8(ascii: "*"), UInt8(ascii: "_"), UInt8(ascii: "["),
                     UInt8(ascii: "]"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "|"), UInt8(ascii: "#"),
                     UInt8(ascii: "@"), UInt8(ascii: ":"), UInt8(ascii: "."):
                    changed = true
                default: break
                }
            }
            return changed ? escapeMarkdown(bytes) : original
        }
    }

    private static let breaker: [UInt8] = [0xE2, 0x80, 0x8B]

    private static func escapeMarkdown(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for i in bytes.indices {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: "`"), UInt8(ascii: "*"), UInt8(ascii: "_"), UInt8(ascii: "["),
                 UInt8(ascii: "]"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "|"), UInt8(ascii: "#"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case UInt8(ascii: "@"):
                out.append(byte)
                out += breaker
            case UInt8(ascii: ":") where i + 2 < bytes.count && bytes[i + 1] == UInt8(ascii: "/") && bytes[i + 2] == UInt8(ascii: "/"):
                out += breaker
                out.append(byte)
            case UInt8(ascii: ".") where i >= 3 && isW(bytes[i - 3]) && isW(bytes[i - 2]) && isW(bytes[i - 1]):
                out += breaker
                out.append(byte)
            default:
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isW(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "w") || byte == UInt8(ascii: "W") }
}
