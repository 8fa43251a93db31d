// Text that comes from Cogram (external ids, emails, names, error messages) is printed to terminals, CI logs and
// pull-request comments. None of it may move the cursor, colour the screen, start a line of its own (a
// `::error::` workflow command) or end a Markdown code span early.

/// Whether a scalar is shown escaped: C0 controls, DEL, C1 controls, and the line and paragraph separators.
func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
}

/// `text` with every control character written as `\n`, `\t` or `\u{…}`: safe on one line of a terminal or log.
public func escapeForTerminal(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        guard needsEscape(scalar) else {
            out.append(scalar)
            continue
        }
        let escaped: String = switch scalar {
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        default: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        }
        out.append(contentsOf: escaped.unicodeScalars)
    }
    return String(out)
}

/// A Markdown code span holding `text` literally: fenced with more backticks than its longest run of them, padded
/// when it starts or ends with one, control characters escaped.
func markdownCode(_ text: String) -> String {
    let safe = escapeForTerminal(text)
    var longest = 0
    var run = 0
    for ch in safe {
        run = ch == "`" ? run + 1 : 0
        longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: longest + 1)
    let pad = safe.hasPrefix("`") || safe.hasSuffix("`") || safe.hasPrefix(" ") && safe.hasSuffix(" ") ? " " : ""
    return fence + pad + safe + pad + fence
}
