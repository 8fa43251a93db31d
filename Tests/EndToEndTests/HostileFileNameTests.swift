import CogramTestSupport
import Foundation
import Testing

/// Issue 23.5: a manifest file whose name holds a line break and a workflow command forges no command: not in
/// the human diagnostics on stderr, not in the `::error file=…` annotations on stdout, not in the step summary.
@Suite struct HostileFileNameTests {
    @Test func aFileNamedWithANewlineForgesNoWorkflowCommand() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-filename")
        defer { try? FileManager.default.removeItem(at: folder) }
        let name = "a\n::error title=forged::x.yaml"
        try "version: 1\nbogus: 1\n".write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        let summary = folder.appendingPathComponent("summary.md")
        let result = try await Binary.run(
            ["validate", folder.path],
            environment: ["GITHUB_ACTIONS": "true", "NO_COLOR": "1", "GITHUB_STEP_SUMMARY": summary.path])
        let stepSummary = (try? String(contentsOf: summary, encoding: .utf8)) ?? ""

        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(#"a\n::error title=forged::x.yaml:2:1: error: "#), "\(result.stderr)")
        for (what, text) in [("stderr", result.stderr), ("step summary", stepSummary)] {
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("::") }, "\(what): \(text)")
        }
        let annotations = result.stdout.split(separator: "\n")
        #expect(!annotations.isEmpty)
        #expect(annotations.allSatisfy { $0.hasPrefix("::error file=") && $0.contains("a%0A%3A%3Aerror title=forged%3A%3Ax.yaml") }, "\(result.stdout)")
    }
}
