import CogramTestSupport
import Foundation

extension Binary {
    /// Runs `cogramctl args…` with a pseudo-terminal as its stdin, stdout and stderr, through util-linux `script`,
    /// so that what only a terminal gets (progress lines) is seen. Everything it wrote comes back as `stdout`.
    static func runOnTerminal(
        _ arguments: [String], environment: [String: String] = [:], in directory: URL, timeout: TimeInterval = 180
    ) async throws -> Result {
        let command = ([path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        return try await run(
            ["-qec", command, "/dev/null"], environment: environment.merging(["TERM": "xterm"]) { a, _ in a },
            in: directory, timeout: timeout, executable: "/usr/bin/script")
    }
}
