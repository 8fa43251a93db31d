import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// What `plan` and `apply` give a CI job: logs that name each change once, a JSON report, the step summary and
/// the step outputs.
@Suite struct CIOutputTests {
    /// 14 projects with 2 members each: 42 changes.
    static func writeFourteenProjects(_ org: TestOrganization) throws {
        let yaml = (1...14).map { index in
            projectYAML(String(format: "p-%02d", index), members: [("ana", "owner"), ("ben", "editor")])
        }.joined()
        try org.write("version: 1\nprojects:\n" + yaml)
    }

    static func lines(_ result: Binary.Result) -> [Substring] {
        (result.stdout + result.stderr).split(separator: "\n")
    }

    @Test func applyWithoutATerminalNamesEachChangeOnce() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try Self.writeFourteenProjects(org)
            let plan = try await org.run(["plan", "."])
            #expect(plan.status == 0, "\(plan.stderr)")
            let document = try await org.run(["plan", ".", "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(document.stdout.utf8)) as? [String: Any])
            let addresses = try #require(json["changes"] as? [[String: Any]]).compactMap { $0["address"] as? String }
            #expect(addresses.count == 42)
            // The printed JSON is a signed plan, as a saved one is (the human text carries no signature).
            #expect((json["signature"] as? String)?.hasPrefix("hmac-sha256:") == true, "\(json["signature"] ?? "none")")

            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stdout.contains("Apply complete: 42 done, 0 reconciled, 0 failed, 0 skipped."))
            // The plan, about ten progress counts, the report's last line: nothing per change beyond the plan.
            let extra = Self.lines(apply).count - Self.lines(plan).count
            #expect(extra <= 12, "apply printed \(extra) lines more than its plan:\n\(apply.stdout)\n\(apply.stderr)")
            // Each change is named where the plan names it, and nowhere else.
            func naming(_ address: String, in result: Binary.Result) -> [Substring] {
                Self.lines(result).filter { line in
                    line.split(whereSeparator: { $0 == " " || $0 == "\t" }).contains { $0 == Substring(address) }
                }
            }
            for address in addresses {
                #expect(naming(address, in: apply) == naming(address, in: plan), "\(address): \(naming(address, in: apply))")
            }
        }
    }

    @Test func applyFormatJSONIsOneDocumentWithEveryOutcome() async throws {
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "One", externalID: "p-1"), .init(name: "Two", externalID: "p-2"),
            .init(name: "Three", externalID: "p-3"), .init(name: "Four", externalID: "p-4"),
        ])) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-new", members: [("ana", "owner")]) + projectYAML("p-1", name: "One"))
            // Archiving three of four managed projects is over the cap: refused, nothing sent, every change skipped.
            let refused = try await org.run(["apply", ".", "--auto-approve", "--format", "json"])
            #expect(refused.status == 4, "\(refused.stderr)")
            let refusedDocument = try #require(try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any])
            #expect(refusedDocument["kind"] as? String == "cogramctl-apply-report")
            #expect(refusedDocument["status"] as? String == "refused")
            #expect((refusedDocument["errors"] as? [String])?.isEmpty == false)
            #expect((refusedDocument["changes"] as? [[String: Any]])?.allSatisfy { $0["outcome"] as? String == "skipped" } == true)
            #expect(try org.project("p-new") == nil)

            let apply = try await org.run(["apply", ".", "--auto-approve", "--format", "json", "--allow-mass-archive"])
            #expect(apply.status == 0, "\(apply.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(apply.stdout.utf8)) as? [String: Any])
            #expect(document["status"] as? String == "applied")
            #expect(document["api_url"] as? String == org.sandbox.baseURL)
            let changes = try #require(document["changes"] as? [[String: Any]])
            #expect(Set(changes.compactMap { $0["address"] as? String }) == [
                "project.p-new", "project.p-new.member.\(TestOrganization.email("ana"))",
                "project.p-2", "project.p-3", "project.p-4",
            ])
            #expect(changes.allSatisfy { $0["outcome"] as? String == "done" })
            let summary = try #require(document["summary"] as? [String: Any])
            #expect(["done", "reconciled", "failed", "skipped"].map { summary[$0] as? Int } == [5, 0, 0, 0])

            let again = try await org.run(["apply", ".", "--auto-approve", "--format", "json"])
            #expect(again.status == 0, "\(again.stderr)")
            let nothing = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
            #expect(nothing["status"] as? String == "no_changes")
            #expect((nothing["changes"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func planAndApplyWriteTheStepSummaryAndOutputs() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a", members: [("ana", "owner"), ("ben", "viewer")]))
            let summary = org.directory.appendingPathComponent("summary.md")
            let outputs = org.directory.appendingPathComponent("outputs.txt")
            let github = ["GITHUB_STEP_SUMMARY": summary.path, "GITHUB_OUTPUT": outputs.path]

            let plan = try await org.run(["plan", ".", "--out", "plan.json"], environment: github)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(try String(contentsOf: outputs, encoding: .utf8) == "has-changes=true\nchange-count=3\ndestructive=false\naccess-removed=0\nplan-file=plan.json\n")

            let apply = try await org.run(["apply", "plan.json"], environment: github)
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try String(contentsOf: outputs, encoding: .utf8).hasSuffix("\napplied=3\nfailed=0\n"))
            let markdown = try String(contentsOf: summary, encoding: .utf8)
            #expect(markdown.contains("### cogramctl plan"))
            #expect(markdown.contains("### cogramctl apply\n\n**Apply complete: 3 done, 0 reconciled, 0 failed, 0 skipped**"), "\(markdown)")
            #expect(markdown.contains("- done `add_member project.p-a.member.\(TestOrganization.email("ben"))`"))

            try FileManager.default.removeItem(at: outputs)
            let clean = try await org.run(["plan", "."], environment: github)
            #expect(clean.status == 0)
            #expect(try String(contentsOf: outputs, encoding: .utf8) == "has-changes=false\nchange-count=0\ndestructive=false\naccess-removed=0\n")
        }
    }

    @Test func aFailedPlanExplainsItselfInTheStepSummary() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            let summary = org.directory.appendingPathComponent("summary.md")
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a", members: [("nobody", "owner")]))
            let planning = try await org.run(["plan", "."], environment: ["GITHUB_STEP_SUMMARY": summary.path])
            #expect(planning.status == 1)
            var markdown = try String(contentsOf: summary, encoding: .utf8)
            #expect(markdown.contains("### cogramctl plan failed\n\n**1 error found while planning; nothing was changed.**"), "\(markdown)")
            #expect(markdown.contains("manifest.yaml:6:"), "\(markdown)")
            #expect(markdown.contains("error: \(TestOrganization.email("nobody"))"), "\(markdown)")
            #expect(markdown.contains("is not a user of the organization"), "\(markdown)")

            try FileManager.default.removeItem(at: summary)
            try org.write("version: 1\nprojects:\n  - external_id: p-a\n    nmae: A\n")
            let invalid = try await org.run(["plan", "."], environment: ["GITHUB_STEP_SUMMARY": summary.path])
            #expect(invalid.status == 1)
            markdown = try String(contentsOf: summary, encoding: .utf8)
            #expect(markdown.hasPrefix("### cogramctl plan failed\n\n**"), "\(markdown)")
            #expect(markdown.contains("manifest.yaml:4:5: error:"), "\(markdown)")

            try FileManager.default.removeItem(at: summary)
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a"))
            let unreachable = try await org.run(
                ["plan", ".", "--max-retries", "0"],
                environment: ["GITHUB_STEP_SUMMARY": summary.path, "COGRAM_API_URL": "http://127.0.0.1:9"])
            #expect(unreachable.status == 1)
            markdown = try String(contentsOf: summary, encoding: .utf8)
            #expect(markdown.hasPrefix("### cogramctl plan failed\n\n"), "\(markdown)")
            #expect(!markdown.contains(org.key), "the key is never written")
        }
    }
}
