import CogramCore

// The renderers of this module name the rules of `OutputEscaping` by these short names.

/// Terminal and human text: `OutputEscaping.terminal`.
public func escapeForTerminal(_ text: String) -> String {
    OutputEscaping.terminal(text)
}

/// A Markdown code span: `OutputEscaping.markdownCode`.
func markdownCode(_ text: String) -> String {
    OutputEscaping.markdownCode(text)
}

/// One CSV field: `OutputEscaping.csvField`.
func csvField(_ value: String) -> String {
    OutputEscaping.csvField(value)
}

/// Markdown text outside code: `OutputEscaping.markdownText` (what `markdownEscape` calls).
func escapeMarkdownText(_ text: String) -> String {
    OutputEscaping.markdownText(text)
}
