import CogramCore

/// The step summary of a command that stopped on an error other than a diagnostic (Cogram unreachable, a
/// refused key, …).
public func failureMarkdown(command: String, _ error: any Error) -> String {
    // The error may quote Cogram's text: in a code block, each line under the terminal rule, nothing in it
    // mentions anyone, makes a link or ends the block.
    let lines = String(describing: error).split(separator: "\n", omittingEmptySubsequences: false)
        .map { OutputEscaping.terminal(String($0)).replacingOccurrences(of: "`", with: "'") }
    return (["### cogramctl \(command) failed", "", "```text"] + lines + ["```", ""]).joined(separator: "\n")
}
