@testable import CogramCore
import Testing

/// The ASCII fast paths of `OutputEscaping` must give the bytes of the scalar-by-scalar rules they bypass.
@Suite struct OutputEscapingFastPathTests {
    /// Every character some rule treats specially, a few plain ones, and text the fast paths must hand over
    /// (controls, DEL, C1, non-ASCII, bidi, a combining mark).
    static let alphabet: [String] = [
        "a", "w", "W", ".", ":", "/", "@", "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "=", "+", "-", ",",
        "\"", "'", " ", "\t", "\n", "\r", "\u{7F}", "\u{85}", "é", "\u{202E}", "\u{301}", "🚀",
    ]

    /// All strings of up to three characters of the alphabet, and 20,000 longer ones from a fixed seed.
    static let corpus: [String] = {
        var strings = [""]
        var level = [""]
        for _ in 0..<3 {
            level = level.flatMap { prefix in alphabet.map { prefix + $0 } }
            strings += level
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<20_000 {
            let length = 4 + next() % 12
            // Mostly printable ASCII, so that most strings take the fast path.
            strings.append((0..<length).map { _ in next() % 4 == 0 ? alphabet[next() % alphabet.count] : alphabet[next() % 22] }.joined())
        }
        strings += ["ana@acme.example", "https://www.evil.example", "WwW.x", "p-00001", "acme/projects.yaml:18", "=1+2"]
        return strings
    }()

    @Test func terminalMatchesTheScalarRule() {
        for text in Self.corpus { #expect(OutputEscaping.terminal(text) == OutputEscaping.terminalScalars(text), "\(Array(text.unicodeScalars))") }
    }

    @Test func markdownTextMatchesTheScalarRule() {
        for text in Self.corpus {
            #expect(OutputEscaping.markdownText(text) == OutputEscaping.markdownTextScalars(text), "\(Array(text.unicodeScalars))")
        }
    }

    @Test func csvFieldMatchesTheScalarRule() {
        for text in Self.corpus { #expect(OutputEscaping.csvField(text) == OutputEscaping.csvFieldScalars(text), "\(Array(text.unicodeScalars))") }
    }

    /// The rule counted over characters, as it was before printable ASCII was counted by bytes.
    @Test func markdownCodeMatchesTheCharacterRule() {
        for text in Self.corpus {
            let safe = OutputEscaping.terminal(text)
            var longest = 0
            var run = 0
            for ch in safe {
                run = ch == "`" ? run + 1 : 0
                longest = max(longest, run)
            }
            let fence = String(repeating: "`", count: longest + 1)
            let pad = safe.hasPrefix("`") || safe.hasSuffix("`") || safe.hasPrefix(" ") && safe.hasSuffix(" ") ? " " : ""
            let expected = fence + pad + safe + pad + fence
            #expect(Array(OutputEscaping.markdownCode(text).utf8) == Array(expected.utf8), "\(Array(text.unicodeScalars))")
        }
    }

    @Test func printableASCIIIsDecidedByBytes() {
        #expect(ASCIIText.isPrintable("ana@acme.example ~"))
        #expect(!ASCIIText.isPrintable("a\u{7F}") && !ASCIIText.isPrintable("é") && !ASCIIText.isPrintable("\t"))
        #expect(ASCIIText.isPlainCSVField("Project 7") && !ASCIIText.isPlainCSVField("-1") && !ASCIIText.isPlainCSVField("a,b"))
    }
}
