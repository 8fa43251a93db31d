import CogramManifest

/// Writes strings as YAML scalars for `cogramctl import`: plain when YAML reads the plain text back as the same
/// string (and no other YAML reader would take it for a null, a boolean or a number), double-quoted otherwise.
///
/// The output always sits on one line in block context, after `key: ` or `- key: `. Double-quoted scalars escape
/// everything libyaml would refuse raw or fold (control characters, line breaks, NEL, U+2028/U+2029, a BOM), so
/// that any Swift string survives a round trip through `ManifestLoader` scalar for scalar; bidi controls are
/// written as escapes in a double-quoted scalar, so that they cannot reorder what a reviewer reads.
public enum YAMLScalarWriter {
    /// The scalar as it should appear after `key: `.
    public static func render(_ value: String) -> String {
        isPlainSafe(value) ? value : YAMLQuoting.doubleQuoted(value)
    }

    /// True when `value` may be written without quotes.
    public static func isPlainSafe(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last else { return false }
        if indicators.contains(first) { return false }
        if first.properties.isWhitespace || last.properties.isWhitespace { return false }
        // `key: foo:` would end in a mapping indicator.
        if last == ":" { return false }
        for (index, scalar) in scalars.enumerated() {
            guard YAMLQuoting.isPrintable(scalar), !OutputEscaping.isBidiControl(scalar) else { return false }
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            // ": " starts a mapping value, " #" starts a comment.
            if scalar == ":", let next, next == " " { return false }
            if scalar == " ", let next, next == "#" { return false }
        }
        if value.hasPrefix("...") { return false }
        return !looksTyped(value)
    }

    // MARK: - Rules

    /// Characters that mean something at the start of a plain scalar.
    private static let indicators: Set<Unicode.Scalar> = [
        "-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`",
    ]

    /// What libyaml accepts raw and reads back unchanged inside a one-line scalar: printable characters without
    /// line breaks (NEL, LS, PS count as breaks), without tab (kept out of plain text for clarity) and without a
    /// byte order mark.
    /// Null, booleans and anything that could be read as a number or a date (`0042`, `1e3`, `.5`, `0x1F`,
    /// `-12`, `1_000`, `12:30`, `2026-01-05`, `.inf`); deliberately broad: quoting a string that needs none is
    /// harmless, leaving one plain that a reader retypes is not.
    static func looksTyped(_ value: String) -> Bool {
        let lower = value.lowercased()
        if YAMLWords.typedLowercased.contains(lower) { return true }
        var body = Substring(lower)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        if [".inf", ".nan"].contains(body) { return true }
        guard let first = body.first else { return false }
        if first == "." {
            guard let second = body.dropFirst().first, second.isASCII, second.isNumber else { return false }
        } else if !(first.isASCII && first.isNumber) {
            return false
        }
        return body.allSatisfy { numericCharacters.contains($0) }
    }

    private static let numericCharacters = Set("0123456789abcdefxob_.:+-")
}
