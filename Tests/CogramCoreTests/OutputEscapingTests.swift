import CogramCore
import Testing

/// The one escaping rule of each output kind (docs/reliability.md, "Escaping").
@Suite struct OutputEscapingTests {
    static let hostile = "@everyone see https://evil.example \u{202E}txt.exe"

    @Test func terminalTextKeepsOneLineAndTheStoredOrder() {
        #expect(OutputEscaping.terminal("plain") == "plain")
        #expect(OutputEscaping.terminal("a\n::error::x\r\t\u{1B}[2J") == #"a\n::error::x\r\t\u{1B}[2J"#)
        #expect(OutputEscaping.terminal("\u{202A}\u{202E}\u{2066}\u{2069}\u{200E}\u{200F}\u{061C}") == #"\u{202A}\u{202E}\u{2066}\u{2069}\u{200E}\u{200F}\u{61C}"#)
        #expect(OutputEscaping.terminal("\u{85}\u{2028}") == #"\u{85}\u{2028}"#)
        #expect(OutputEscaping.terminal("Zoë 🚀") == "Zoë 🚀", "printable text is left alone")
    }

    @Test func workflowCommandsEncodeAsGitHubDocuments() {
        #expect(OutputEscaping.workflowData("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d")
        #expect(OutputEscaping.workflowProperty("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d")
        #expect(OutputEscaping.workflowProperty("a\n::error title=forged::x") == "a%0A%3A%3Aerror title=forged%3A%3Ax")
    }

    @Test func markdownTextNeitherMentionsNorLinksNorReorders() {
        let text = OutputEscaping.markdownText(Self.hostile)
        // The terminal rule's backslash is itself escaped, so that Markdown shows `\u{202E}`.
        #expect(text == "@\u{200B}everyone see https\u{200B}://evil.example \\\\u{202E}txt.exe")
        #expect(OutputEscaping.markdownText("www.evil.example and WWW.x") == "www\u{200B}.evil.example and WWW\u{200B}.x")
        #expect(OutputEscaping.markdownText("ana@acme.example") == "ana@\u{200B}acme.example")
        #expect(OutputEscaping.markdownText("*a* [l](u) <b> |c| #1 `x` \\") == ##"\*a\* \[l\](u) \<b\> \|c\| \#1 \`x\` \\"##)
        #expect(OutputEscaping.markdownText("a\nb") == #"a\\nb"#)
    }

    @Test func markdownCodeSpansHoldTheTextLiterally() {
        #expect(OutputEscaping.markdownCode("a`b") == "``a`b``")
        #expect(OutputEscaping.markdownCode("`x") == "`` `x ``")
        #expect(OutputEscaping.markdownCode("x\n\u{202E}y") == #"`x\n\u{202E}y`"#)
    }

    @Test func csvFieldsAreGuardedAndQuoted() {
        #expect(OutputEscaping.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(OutputEscaping.csvField("@SUM(A1)") == "'@SUM(A1)")
        #expect(OutputEscaping.csvField("a,b\nc") == "\"a,b\nc\"")
        #expect(OutputEscaping.csvField("plain") == "plain")
        #expect(OutputEscaping.csvField("\u{202E}exe.txt") == #"\u{202E}exe.txt"#)
    }
}
