import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// Issue 23.5: names, descriptions, emails and external_ids set in the app reach the plan's pull-request comment,
/// the drift issue body and the access report as Markdown. None may notify anyone, make a link, or reorder what
/// a reader sees; in terminal text none may reorder it either.
@Suite struct HostileTextTests {
    static let evil = "@everyone see https://evil.example \u{202E}txt.exe"

    /// The Markdown outside fenced code blocks and code spans: where GitHub makes mentions and links.
    static func outsideCode(_ text: String) -> String {
        var inFence = false
        var kept: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            if !inFence { kept.append(String(line)) }
        }
        return kept.joined(separator: "\n").replacingOccurrences(of: "`[^`]*`", with: "", options: .regularExpression)
    }

    /// What no Markdown rendering may contain: a live mention or a bare URL GitHub would link (outside code),
    /// a bidi control (anywhere).
    static func expectNeutral(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let prose = outsideCode(text)
        #expect(!prose.contains("@everyone"), "mention left live", sourceLocation: sourceLocation)
        #expect(!prose.contains("https://"), "bare URL left live", sourceLocation: sourceLocation)
        #expect(!text.unicodeScalars.contains(where: OutputEscaping.isBidiControl), "bidi control left raw", sourceLocation: sourceLocation)
    }

    @Test func planMarkdownNeutralisesAProjectNamedInTheApp() {
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-x", name: Self.evil, description: Self.evil)], users: F.users)
        let desired = DesiredState(projects: [F.dproject("acme-x", name: "Safe", description: .value("Safe"))])
        let plan = F.plan(desired, observed)
        #expect(!plan.changes.isEmpty)
        let md = renderMarkdown(plan)
        #expect(md.contains("evil.example"), "the name is shown: \(md)")
        Self.expectNeutral(md)
        let human = renderHuman(plan, color: false)
        #expect(human.contains(#"\u202e"#) || human.contains(#"\u{202E}"#), "\(human)")
        #expect(!human.unicodeScalars.contains(where: OutputEscaping.isBidiControl))

        // An archived project nobody manages is named in the summary list too.
        let archive = F.plan(DesiredState(), observed) { $0.allowMassArchive = true }
        let archiveMarkdown = renderMarkdown(archive)
        #expect(archiveMarkdown.contains("will be ARCHIVED"), "\(archiveMarkdown)")
        #expect(Self.outsideCode(archiveMarkdown).contains("@\u{200B}everyone see https\u{200B}://evil.example"), "\(archiveMarkdown)")
        Self.expectNeutral(archiveMarkdown)
    }

    @Test func driftMarkdownNeutralisesCogramsValues() {
        let desired = DesiredState(projects: [F.dproject("acme-x", name: "Safe")])
        let observed = ObservedState(projects: [F.project("prj_1", externalID: "acme-x", name: Self.evil)], users: F.users)
        let plan = F.plan(desired, observed)
        let report = makeDriftReport(desired: desired, observed: observed, plan: plan, checkedAt: F.fixedNow, today: CalendarDay(F.fixedNow))
        #expect(!report.drift.isEmpty)
        let md = renderMarkdown(report, paths: ["."])
        #expect(md.contains("evil.example"), "\(md)")
        Self.expectNeutral(md)
        #expect(!renderHuman(report).unicodeScalars.contains(where: OutputEscaping.isBidiControl))
    }

    @Test func accessMarkdownAndCSVNeutraliseNamesAndEmails() {
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-x", name: Self.evil)],
            users: [F.user("ana", role: .admin)],
            members: ["prj_1": [F.member("ana", .owner)]])
        let desired = DesiredState()
        let report = makeAccessReport(
            evaluation: desired.evaluated(asOf: CalendarDay(F.fixedNow)), desired: desired, observed: observed,
            apiURL: "https://api.cogram.com", base: ManifestPathBase(directories: []))
        let md = renderMarkdown(report)
        #expect(md.contains("evil.example"), "\(md)")
        #expect(md.contains("ana@\u{200B}acme.example"), "emails are not autolinked: \(md)")
        Self.expectNeutral(md)
        #expect(!renderHuman(report).unicodeScalars.contains(where: OutputEscaping.isBidiControl))
        #expect(!renderCSV(report).unicodeScalars.contains(where: OutputEscaping.isBidiControl))
    }
}
