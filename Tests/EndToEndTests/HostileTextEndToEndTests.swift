import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Issue 23.5 through the built binary: text from outside (a project set in the app, a path or an option value
/// from the command line) neither forges a workflow command nor hides text, in the files `import` writes and in
/// the errors every command prints.
@Suite struct HostileTextEndToEndTests {
    static func isBidi(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// No line that starts a workflow command, no bidi control, no escape character.
    static func expectInert(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!text.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("::") }, "\(what): \(text)", sourceLocation: sourceLocation)
        #expect(!text.unicodeScalars.contains(where: isBidi), "\(what): \(text)", sourceLocation: sourceLocation)
        #expect(!text.unicodeScalars.contains("\u{1B}"), "\(what): \(text)", sourceLocation: sourceLocation)
    }

    /// A project named in the app with a bidi override and a line break that starts a workflow command: `import`
    /// writes both as escapes in double-quoted scalars, `validate` loads the file, and a plan of it finds nothing
    /// to change (the name and description read back exactly as Cogram has them).
    @Test func aHostileProjectNameImportsAsEscapesAndPlansBackUnchanged() async throws {
        let name = "Invoice \u{202E}fdp.exe\n::error title=forged::x"
        let description = "first\u{2067} line\n::warning::second \u{1B}[31mred"
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: name, description: description, externalID: "p-hostile", members: [.init(email: TestOrganization.email("ana"), role: .owner)]),
            .init(name: "Quiet", externalID: "q-\u{202E}x", members: []),
        ])) { org in
            let imported = try await org.run(["import", "--out", "all.yaml"])
            #expect(imported.status == 0, "\(imported.stderr)")
            Self.expectInert(imported.stderr, "import stderr")
            let text = try String(contentsOf: org.directory.appendingPathComponent("all.yaml"), encoding: .utf8)
            Self.expectInert(text, "all.yaml")
            #expect(text.contains(#"    name: "Invoice \u202Efdp.exe\n::error title=forged::x""#), "\(text)")
            #expect(text.contains(#"    description: "first\u2067 line\n::warning::second \e[31mred""#), "\(text)")
            #expect(text.contains(#"  - external_id: "q-\u202Ex""#), "\(text)")

            let validate = try await org.run(["validate", "all.yaml"], environment: ["GITHUB_ACTIONS": "true"])
            #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")

            let plan = try await org.run(["plan", "all.yaml", "--detailed-exitcode"], environment: ["GITHUB_ACTIONS": "true"])
            #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
            Self.expectInert(plan.stdout + plan.stderr, "plan")
            let project = try #require(try org.project("p-hostile"))
            #expect(project.name == name)
        }
    }

    /// A `--sandbox` database path, a plan file path and an option value that hold a line break and a workflow
    /// command are printed escaped in the error, on one line, under `GITHUB_ACTIONS`.
    @Test func hostilePathsAndOptionValuesInErrorsPrintEscaped() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-hostile-text")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "version: 1\nprojects:\n  - external_id: p-1\n    name: One\n".write(
            to: folder.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        let database = "bad\n::error title=forged::x\u{202E}.sqlite"
        try "this is not an SQLite database, it is long enough to have a header\n".write(
            to: folder.appendingPathComponent(database), atomically: true, encoding: .utf8)
        let environment = ["GITHUB_ACTIONS": "true", "NO_COLOR": "1", "COGRAM_API_KEY": "", "COGRAM_PLAN_KEY": ""]

        let plan = try await Binary.run(["plan", "--sandbox=\(database)", "m.yaml"], environment: environment, in: folder)
        #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stderr.contains(#"Error: cannot start the embedded sandbox with bad\n::error title=forged::x\u{202E}.sqlite: "#), "\(plan.stderr)")
        Self.expectInert(plan.stdout + plan.stderr, "plan --sandbox")

        let show = try await Binary.run(["show", "p\n::error title=forged::\u{202E}.json"], environment: environment, in: folder)
        #expect(show.status == 1, "\(show.stderr)")
        #expect(show.stderr == #"Error: cannot read p\n::error title=forged::\u{202E}.json: no such file, or not readable"# + "\n", "\(show.stderr)")
        Self.expectInert(show.stdout + show.stderr, "show")

        let offboard = try await Binary.run(["offboard", "m.yaml", "--user", "x\n::error title=forged::\u{202E}y"], environment: environment, in: folder)
        #expect(offboard.status == 64, "\(offboard.stderr)")
        #expect(offboard.stderr.hasPrefix(#"Error: --user 'x\n::error title=forged::\u{202E}y' is not an email address"# + "\n"), "\(offboard.stderr)")
        #expect(offboard.stderr.contains("Usage: cogramctl offboard"), "usage lines kept: \(offboard.stderr)")
        Self.expectInert(offboard.stdout + offboard.stderr, "offboard")
    }
}
