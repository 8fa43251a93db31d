import CogramAPI
@testable import CogramCLI
import CogramPlan
import Synchronization
import Testing

/// Issue 24: reading progress counts pages of the project and user lists as apply counts changes.
@Suite struct ReadingProgressLinesTests {
    final class Buffer: Sendable {
        let text = Mutex("")
        func write(_ s: String) { text.withLock { $0 += s } }
    }

    @Test func offATerminalALineAtEachTenthOfEachListsPages() {
        let buffer = Buffer()
        let progress = ReadingProgress(status: StatusLine(terminal: false, write: buffer.write))
        progress.start()
        for read in 1...20 { progress.record(.page(.projects, PageProgress(read: read, total: 20))) }
        for read in 1...3 { progress.record(.page(.users, PageProgress(read: read, total: 3))) }
        for read in 1...5 { progress.record(.page(.users, PageProgress(read: read, total: nil))) }
        progress.finish()
        let lines = buffer.text.withLock { $0 }.split(separator: "\n").map(String.init)
        // Fewer than ten pages, or an unknown total, print nothing; the last page is followed by the next step.
        #expect(lines == [2, 4, 6, 8, 10, 12, 14, 16, 18].map { "Reading projects: \(String($0).leftPadded(to: 2))/20 pages read" })
    }

    @Test func onATerminalBothListsInTheStatusLine() {
        let buffer = Buffer()
        let progress = ReadingProgress(status: StatusLine(terminal: true, write: buffer.write))
        progress.record(.page(.projects, PageProgress(read: 3, total: 3)))
        progress.record(.page(.users, PageProgress(read: 2, total: nil)))
        progress.record(.page(.users, PageProgress(read: 4, total: 4)))
        let text = buffer.text.withLock { $0 }
        #expect(text.contains("Reading projects: 3/3 pages"), "\(text)")
        #expect(text.hasSuffix("Reading projects: 3/3 pages · users: 4/4 pages"), "\(text)")
        #expect(ReadingProgress.pagesLine([.users: PageProgress(read: 1, total: nil)]) == "Reading users: 1 page")
    }
}

/// Issue 23.5: the step summary of a failed plan holds the error in a code block that its text cannot end.
@Suite struct FailureMarkdownTests {
    struct Hostile: Error, CustomStringConvertible {
        var description: String { "Cogram said: @everyone see https://evil.example\n```\n\u{202E}txt.exe" }
    }

    @Test func theErrorStaysInsideItsCodeBlock() {
        let markdown = Planning.failureMarkdown(command: "plan", Hostile())
        #expect(markdown == "### cogramctl plan failed\n\n```text\nCogram said: @everyone see https://evil.example\n'''\n\\u{202E}txt.exe\n```\n")
    }
}
