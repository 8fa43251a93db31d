/// Text that came from outside (a server's message, a transport library's reason) made safe for a terminal, a
/// log or a CI annotation: the API key, in any form `KeyRedaction` finds, replaced by `***` before anything is cut;
/// control characters (C0, DEL, C1, U+2028, U+2029)
/// written as `\u{…}` escapes, and the length bounded.
public enum SafeText {
    /// At most this many characters are kept of one outside text.
    public static let maximumLength = 500

    public static func clean(_ text: String, redacting key: APIKey? = nil, limit: Int = maximumLength) -> String {
        var text = text
        if let key {
            text = KeyRedaction.redact(text, key: key.unredactedValue)
        }
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            if ControlCharacters.contains(scalar) {
                out += ControlCharacters.escape(scalar, .braced)
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }

    /// Whether `text` is non-empty printable ASCII (0x21…0x7E), which is what an HTTP header value built from a
    /// token must be.
    public static func isPrintableASCIIToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}
