import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// Compares `actual` with a file under `Golden/`; `UPDATE_GOLDEN=1 swift test …` rewrites the file instead.
private func expectGolden(_ actual: String, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
        try Data(actual.utf8).write(to: url)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual == expected, "rendering differs from Golden/\(name); run UPDATE_GOLDEN=1 to accept", sourceLocation: sourceLocation)
}

@Suite struct RenderTests {
    private var richPlan: Plan {
        let (desired, observed) = F.rich()
        var plan = F.plan(desired, observed)
        plan.warnings = ["org.yaml:60:3: project.acme-gone is `archived: true` but does not exist in Cogram; it is not created"]
        return plan
    }

    @Test func goldenHuman() throws {
        try expectGolden(renderHuman(richPlan, color: false) + "\n", "plan.human.txt")
    }

    @Test func goldenMarkdown() throws {
        try expectGolden(renderMarkdown(richPlan), "plan.md")
    }

    @Test func noChanges() {
        let plan = F.plan(DesiredState(), ObservedState())
        #expect(renderHuman(plan, color: false).hasSuffix("\n\nNo changes. Cogram matches the manifests."))
        #expect(renderHuman(plan, color: true).hasSuffix("\n\nNo changes. Cogram matches the manifests."))
        #expect(renderMarkdown(plan).contains("No changes. Cogram matches the manifests."))
    }

    @Test func colourOnlyWhenAsked() {
        #expect(!renderHuman(richPlan, color: false).contains("\u{1B}["))
        #expect(renderHuman(richPlan, color: true).contains("\u{1B}[31m"))
        let report = ApplyReport(results: [ChangeResult(action: .create, address: "project.x", outcome: .done)], writes: 1, interrupted: false)
        #expect(!renderReport(report, color: false).contains("\u{1B}["))
        #expect(renderReport(report, color: true).contains("\u{1B}["))
    }

    @Test func destructiveChangesComeFirstAndAreMarked() {
        let text = renderHuman(richPlan, color: false)
        let archive = text.range(of: #"# project.acme-old-site ("Old Site") will be ARCHIVED: listed in no manifest"#)
        let removal = text.range(of: "# project.acme-bridge will be updated; 1 member will be REMOVED")
        let create = text.range(of: "# project.acme-new will be created")
        // Members are nested under their project.
        #expect(text.contains("      - member cat@acme.example (editor) will be REMOVED"))
        #expect(text.contains("      + member dan@acme.example (viewer)"))
        #expect(text.contains("      ~ member ben@acme.example: viewer → editor"))
        #expect(text.contains("  + project.acme-new, with members ana@acme.example (owner), cat@acme.example (viewer)"))
        #expect(!text.contains("# project.acme-new.member"))
        #expect(archive != nil && removal != nil && create != nil)
        if let archive, let removal, let create {
            #expect(archive.lowerBound < removal.lowerBound && removal.lowerBound < create.lowerBound)
        }
        #expect(text.contains("      name: \"Bridge\" → \"Harbor Bridge\""))
        #expect(text.hasSuffix(
            "Plan: 1 to create, 2 to update, 1 to restore, 1 to archive; members: 3 to add, 1 to change, 1 to remove; users: 1 to update."))
    }

    @Test func markdownStaysUnderTheLimitForAHugePlan() throws {
        let users = (0..<3000).map { F.user("user\($0)") }
        let desired = DesiredState(projects: (0..<1500).map { i in
            F.dproject("acme-project-with-a-long-external-id-\(i)", name: "Project \(i) " + String(repeating: "x", count: 40),
                       members: [F.dmember("user\(i)", .owner), F.dmember("user\(i + 1500)", .viewer)])
        })
        let plan = F.plan(desired, ObservedState(users: users))
        #expect(plan.changes.count == 4500)
        let md = renderMarkdown(plan)
        #expect(md.utf8.count < 65_536)
        #expect(md.contains(plan.summaryLine))
        #expect(md.contains("| add_member | 3000 |"))
        #expect(md.contains("more projects (list truncated"))
        #expect(md.contains("</details>"))
    }

    @Test func aTwoThousandChangePlanReadsWellWithinTheLimit() throws {
        let users = (0..<800).map { F.user("user\($0)") }
        // 200 projects to archive; 200 renamed, losing a member and gaining two; 200 new ones with four members.
        var projects: [Project] = []
        var members: [String: [Member]] = [:]
        var desired: [DesiredProject] = []
        for i in 0..<200 {
            projects.append(F.project("prj_old\(i)", externalID: "acme-old-\(i)", name: "Old \(i)"))
            projects.append(F.project("prj_kept\(i)", externalID: "acme-kept-\(i)", name: "Kept \(i)"))
            members["prj_kept\(i)"] = [F.member("user\(i)", .owner), F.member("user\(i + 200)", .viewer)]
            desired.append(F.dproject("acme-kept-\(i)", name: "Kept \(i)!", members: [
                F.dmember("user\(i)", .owner), F.dmember("user\(i + 400)", .editor), F.dmember("user\(i + 600)", .viewer),
            ]))
            desired.append(F.dproject("acme-new-\(i)", name: "New \(i)", members: [
                F.dmember("user\(i)", .owner), F.dmember("user\(i + 200)", .editor), F.dmember("user\(i + 400)", .viewer),
                F.dmember("user\(i + 600)", .viewer),
            ]))
        }
        let plan = F.plan(DesiredState(projects: desired), ObservedState(projects: projects, users: users, members: members)) {
            $0.allowMassArchive = true
            $0.allowMassMemberRemoval = true
        }
        #expect(plan.changes.count == 2_000)
        let md = renderMarkdown(plan)
        #expect(md.utf8.count < 65_536)
        // Summary first; every destructive project listed before any other, none folded away.
        let summary = try #require(md.range(of: plan.summaryLine))
        let list = try #require(md.range(of: "**Changes by project**"))
        #expect(summary.lowerBound < list.lowerBound)
        let lines = md[list.upperBound...].split(separator: "\n").filter { $0.hasPrefix("- ") }
        let firstQuiet = try #require(lines.firstIndex { !$0.contains("⚠️") })
        #expect(firstQuiet == 400)
        #expect(lines.prefix(400).allSatisfy { $0.contains("⚠️") })
        #expect(md.contains("<details><summary>Details by project</summary>"))
    }

    @Test func markdownTruncatesDetailsBeforeAddresses() {
        let (desired, observed) = F.rich()
        let plan = F.plan(desired, observed)
        // Room for the summary, the plan by person and the project list, not for every detail.
        let md = renderMarkdown(plan, limit: 3_400)
        #expect(md.utf8.count < 3_400)
        #expect(md.contains("**Access by person** (4 people, 6 changes)"))
        #expect(md.contains("Details truncated"))
        #expect(md.contains("**Changes by project** (\(plan.groups.count))"))
        #expect(!md.contains("list truncated"))
    }

    @Test func reportRendering() {
        let report = ApplyReport(
            results: [
                ChangeResult(action: .create, address: "project.a", outcome: .done),
                ChangeResult(action: .create, address: "project.b", outcome: .reconciled("reconciled after conflict")),
                ChangeResult(action: .update, address: "project.c", outcome: .failed("conflict: boom")),
                ChangeResult(action: .addMember, address: "project.b.member.x@y", outcome: .skipped("interrupted")),
            ],
            writes: 4, interrupted: false)
        #expect(renderReport(report, color: false) == """
              done        create project.a
              reconciled  create project.b (reconciled after conflict)
              FAILED      update project.c: conflict: boom
              skipped     add_member project.b.member.x@y (interrupted)
            Apply complete: 1 done, 1 reconciled, 1 failed, 1 skipped.

            """)
    }
}

@Suite struct ReportMarkdownEscapingTests {
    /// Issue 23.5: an address (an external_id set in the app) holding backticks, HTML, a pipe and a newline stays
    /// inside its code span in the apply step summary: no HTML, no link, no broken table row.
    @Test func addressesStayInsideTheirCodeSpans() {
        let address = "project.x`<img src=x onerror=alert(1)>`|[a](http://evil)\n::error::boom"
        let report = ApplyReport(
            results: [ChangeResult(action: .create, address: address, outcome: .failed("boom"))], writes: 1, interrupted: false)
        let md = renderReportMarkdown(report, apiURL: "https://api.cogram.com")
        let code = markdownCode("create \(address)")
        #expect(code.hasPrefix("``") && !code.contains("\n"))
        #expect(md.contains("| failed | \(code.replacingOccurrences(of: "|", with: "\\|")) | boom |"), "\(md)")
        #expect(md.contains("- failed \(code)\n"), "\(md)")
        #expect(!md.contains("\n::error"), "\(md)")
        #expect(!md.contains(" `create "), "a single-backtick span would end at the address's backtick: \(md)")
    }
}

@Suite struct RenderEdgeTests {
    @Test func noChangesWithWarningsKeepsTheVerdictLast() {
        var plan = F.plan(DesiredState(), ObservedState())
        plan.warnings = ["something odd"]
        #expect(renderHuman(plan, color: false).hasSuffix("COGRAM_API_KEY\n\nWarning: something odd\n\nNo changes. Cogram matches the manifests."))
    }
}
