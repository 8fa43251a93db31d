import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Progress while plan reads Cogram: on stderr only; without a terminal one line at each tenth of the member
/// lists, on a terminal a status line that ends at the total.
@Suite struct ReadingProgressTests {
    static let count = 20

    static func organization() async throws -> TestOrganization {
        let members: [SandboxSeed.Member] = [.init(email: TestOrganization.email("ana"), role: .owner)]
        let projects = (0..<count).map { SandboxSeed.Project(name: "P\($0)", externalID: "p-\($0)", members: members) }
        let org = try await TestOrganization.start(projects: projects)
        let yaml = (0..<count).map {
            "  - external_id: p-\($0)\n    name: P\($0)\n    members:\n      - {email: \(TestOrganization.email("ana")), role: owner}\n"
        }.joined()
        try org.write("version: 1\nprojects:\n" + yaml)
        return org
    }

    @Test func withoutATerminalALineAtEachTenthOnStderr() async throws {
        let org = try await Self.organization()
        defer { Task { await org.stop() } }
        let plan = try await org.run(["plan", ".", "--detailed-exitcode"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let lines = plan.stderr.split(separator: "\n").filter { $0.hasPrefix("Reading member lists") }
        #expect(lines.map(String.init) == [2, 4, 6, 8, 10, 12, 14, 16, 18].map { "Reading member lists: \(String($0).leftPadded(2))/20 projects read" })
        #expect(!plan.stdout.contains("Reading"))
        // The JSON document on stdout stays a document.
        let json = try await org.run(["plan", ".", "--format", "json"])
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil, "\(json.stdout)")
        #expect(json.stderr.contains("Reading member lists: 18/20 projects read"))
    }

    @Test func onATerminalAStatusLineUpToTheTotal() async throws {
        let org = try await Self.organization()
        defer { Task { await org.stop() } }
        let plan = try await Binary.runOnTerminal(["plan", "."], environment: org.environment, in: org.directory)
        #expect(plan.status == 0, "\(plan.stdout)")
        #expect(plan.stdout.contains("Reading member lists: 20/20 projects"), "\(plan.stdout)")
        #expect(plan.stdout.contains("No changes."), "\(plan.stdout)")
        #expect(!plan.stdout.contains("projects read"), "no log lines on a terminal")
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
