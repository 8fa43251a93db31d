import CogramCore
import Testing

/// Messages for the terminal keep their own words and line breaks; what they insert is under the terminal rule.
@Suite struct TerminalMessageTests {
    struct Escaped: EscapedErrorDescription {
        var description: String { "first line\n  - second \\n line" }
    }

    struct Raw: Error, CustomStringConvertible {
        var description: String { "cannot open a\n::error::forged\u{202E}" }
    }

    @Test func insertedValuesAreEscapedAndTheTemplateIsKept() {
        let path = "db\n::error title=forged::x\u{1B}[31m\u{202E}.sqlite"
        let message: TerminalMessage = "error: cannot open \(path)\nNothing was changed.\n"
        #expect(message.text == "error: cannot open db\\n::error title=forged::x\\u{1B}[31m\\u{202E}.sqlite\nNothing was changed.\n")
        #expect(message.text.split(separator: "\n").count == 2)
        let count = 3
        #expect(("\(count) files" as TerminalMessage).text == "3 files")
    }

    @Test func nestedMessagesAndRenderedTextAreInsertedOnce() {
        let inner: TerminalMessage = "a \("b\nc")"
        let outer: TerminalMessage = "[\(inner)] \(rendered: "x\ny")"
        #expect(outer.text == "[a b\\nc] x\ny")
        var built: TerminalMessage = "one"
        built += ", \("t\u{7}wo")"
        #expect(built.text == "one, t\\u{7}wo")
        #expect(!built.text.unicodeScalars.contains("\u{7}"))
    }

    @Test func errorsKeepTheirLinesOnlyWhenTheyEscapedWhatTheyQuote() {
        #expect(TerminalMessage(error: Escaped()).text == "first line\n  - second \\n line")
        let raw = TerminalMessage(error: Raw()).text
        #expect(raw == "cannot open a\\n::error::forged\\u{202E}")
        let interpolated: TerminalMessage = "error: \(Raw() as any Error); \(Escaped())"
        #expect(interpolated.text == "error: cannot open a\\n::error::forged\\u{202E}; first line\n  - second \\n line")
    }
}
