#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CogramCore
import Foundation

/// Where output goes and whether it may be coloured.
enum Terminal {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Colour only on a terminal and when `NO_COLOR` is unset or empty (no-color.org).
    static func colorEnabled(_ fd: Int32) -> Bool {
        guard isTerminal(fd) else { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return true
    }

    static var stdoutColor: Bool { colorEnabled(STDOUT_FILENO) }
    static var stderrColor: Bool { colorEnabled(STDERR_FILENO) }
    static var stdinIsTerminal: Bool { isTerminal(STDIN_FILENO) }
    static var stdoutIsTerminal: Bool { isTerminal(STDOUT_FILENO) }
    static var stderrIsTerminal: Bool { isTerminal(STDERR_FILENO) }

    /// GitHub Actions reads `::error …::` workflow commands from the output.
    static var inGitHubActions: Bool { environment["GITHUB_ACTIONS"] == "true" }

    /// A message on stderr: what it inserts is under the terminal rule (see `TerminalMessage`).
    static func writeError(_ message: TerminalMessage) { writeError(rendered: message.text) }

    /// Human text on stdout, escaped as `writeError`.
    static func writeOutput(_ message: TerminalMessage) { writeOutput(rendered: message.text) }

    /// Text a renderer has already escaped for its kind of output (human, Markdown, JSON), or the bytes a command
    /// writes on purpose (the manifests of `import` on stdout, a diff of the user's own files).
    static func writeError(rendered text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func writeOutput(rendered text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// A renderer's UTF-8 bytes, written as they are (a `Data` over them for the call, not a copy).
    static func writeOutput(renderedBytes bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
            FileHandle.standardOutput.write(
                Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: buffer.count, deallocator: .none))
        }
    }
}
