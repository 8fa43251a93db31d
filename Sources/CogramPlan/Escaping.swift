import CogramCore

/// `text` with every control character written as `\n`, `\t` or `\u{…}`: safe on one line of a terminal or log.
public func escapeForTerminal(_ text: String) -> String {
    ControlCharacters.escaping(text, .terminal)
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
