import CogramTestSupport
import Foundation
import Testing

/// The GitHub Action (action.yml) driven as a job runs it: its step scripts with the variables and files GitHub
/// provides (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`, `RUNNER_TEMP`, the `INPUT_*` the step's `env:`
/// maps from the inputs), against an embedded sandbox.
@Suite struct ActionTests {
    /// A simulated job: a workspace with manifests, and the files a runner hands each step.
    struct Job {
        let workspace: URL
        let database: String

        init() throws {
            workspace = try makeTemporaryDirectory("cogramctl-action")
            database = workspace.appendingPathComponent("sandbox.sqlite").path
            try FileManager.default.createDirectory(
                at: workspace.appendingPathComponent("manifests"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                at: workspace.appendingPathComponent("runner-temp"), withIntermediateDirectories: true)
        }

        func write(_ yaml: String) throws {
            try yaml.write(to: workspace.appendingPathComponent("manifests/org.yaml"), atomically: true, encoding: .utf8)
        }

        func file(_ name: String) -> String { workspace.appendingPathComponent(name).path }

        func read(_ name: String) -> String { (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? "" }

        /// `name=value` lines of the step's GITHUB_OUTPUT.
        func outputs(_ step: String) -> [String: String] {
            var values: [String: String] = [:]
            for line in read("\(step).output").split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                values[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return values
        }

        /// Runs one of the action's step scripts as the runner would, with `inputs` as `INPUT_*` variables.
        func step(_ script: String, id: String, inputs: [String: String], extra: [String: String] = [:]) async throws -> Binary.Result {
            var environment = [
                "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REPOSITORY": "acme/cogram",
                "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_NUMBER": "7",
                "GITHUB_ACTION_PATH": Repository.root.path, "GITHUB_WORKSPACE": workspace.path,
                "GITHUB_OUTPUT": file("\(id).output"), "GITHUB_STEP_SUMMARY": file("summary.md"),
                "GITHUB_PATH": file("path.txt"), "RUNNER_TEMP": file("runner-temp"),
                "COGRAMCTL_BIN": Binary.path, "NO_COLOR": "1",
            ]
            for (name, value) in inputs { environment["INPUT_" + name] = value }
            environment.merge(extra) { $1 }
            return try await Binary.run(
                [Repository.path("scripts/action/\(script)")], environment: environment, in: workspace,
                executable: "/bin/bash")
        }
    }

    static let manifests = """
        version: 1
        projects:
          - external_id: harbor-bridge
            name: Harbor Bridge
            members:
              - email: ana@acme.example
                role: owner
              - email: ben@acme.example
                role: editor
        """

    @Test func planCommentsThenApplyConverges() async throws {
        let job = try Job()
        defer { try? FileManager.default.removeItem(at: job.workspace) }
        try job.write(Self.manifests)
        let sandbox = "--sandbox=\(job.database)"

        let validate = try await job.step("run.sh", id: "validate", inputs: ["COMMAND": "validate", "PATHS": "manifests"])
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(job.outputs("validate")["exit-code"] == "0")

        let plan = try await job.step(
            "run.sh", id: "plan", inputs: ["COMMAND": "plan", "PATHS": "manifests", "PLAN_FILE": "plan.json", "ARGS": sandbox])
        #expect(plan.status == 0, "\(plan.stderr)")
        let outputs = job.outputs("plan")
        #expect(outputs["exit-code"] == "0", "\(plan.stderr)")
        #expect(outputs["has-changes"] == "true")
        #expect(outputs["change-count"] == "3")
        #expect(outputs["plan-file"] == "plan.json")
        let comment = try String(contentsOfFile: try #require(outputs["comment-file"]), encoding: .utf8)
        #expect(comment.hasPrefix("### cogramctl plan"), "\(comment)")
        #expect(comment.contains("project.harbor-bridge"))
        #expect(comment.contains("<sub>From [run 7](https://github.com/acme/cogram/actions/runs/4242).</sub>"))
        #expect(job.read("summary.md").contains("### cogramctl plan"))
        #expect(plan.stdout.contains("+ project.harbor-bridge"), "the log shows the human plan")

        // After the merge, without a reviewed plan: plan and apply.
        let apply = try await job.step(
            "run.sh", id: "apply", inputs: ["COMMAND": "apply", "PATHS": "manifests", "ARGS": sandbox])
        #expect(apply.status == 0)
        #expect(job.outputs("apply")["exit-code"] == "0", "\(apply.stderr)")
        #expect(job.outputs("apply")["applied"] == "3")
        #expect(job.outputs("apply")["failed"] == "0")
        #expect(job.read("summary.md").contains("### cogramctl apply"))

        // Nothing left: a drift check passes.
        let drift = try await job.step(
            "run.sh", id: "drift", inputs: ["COMMAND": "plan", "PATHS": "manifests", "ARGS": "--detailed-exitcode \(sandbox)"])
        #expect(drift.status == 0)
        #expect(job.outputs("drift")["exit-code"] == "0", "\(drift.stderr)")
        #expect(job.outputs("drift")["has-changes"] == "false")
    }

    /// Several organizations (examples/organizations): one plan set, the `organizations` output, and one comment
    /// with the totals and a section per organization; no key variable is needed against the sandbox.
    @Test func planOfSeveralOrganizationsIsOneCommentWithASectionEach() async throws {
        let job = try Job()
        defer { try? FileManager.default.removeItem(at: job.workspace) }
        try FileManager.default.copyItem(
            at: Repository.url("examples/organizations"), to: job.workspace.appendingPathComponent("organizations"))
        let plan = try await job.step("run.sh", id: "plan", inputs: [
            "COMMAND": "plan", "PATHS": "organizations", "PLAN_FILE": "plan.json", "ARGS": "--sandbox=\(job.database)",
        ])
        #expect(plan.status == 0, "\(plan.stderr)")
        let outputs = job.outputs("plan")
        #expect(outputs["exit-code"] == "0", "\(plan.stderr)")
        #expect(outputs["organizations"] == "Northwind Build UK,Northwind Build US", "\(outputs)")
        #expect(outputs["change-count"] == "13" && outputs["plan-file"] == "plan.json", "\(outputs)")
        let saved = try String(contentsOfFile: job.file("plan.json"), encoding: .utf8)
        #expect(saved.contains("\"kind\" : \"cogramctl-plan-set\""), "\(saved.prefix(200))")
        let comment = try String(contentsOfFile: try #require(outputs["comment-file"]), encoding: .utf8)
        #expect(comment.hasPrefix("## cogramctl plan: 2 organizations\n"), "\(comment.prefix(300))")
        let uk = try #require(comment.range(of: "\n## Northwind Build UK\n"), "\(comment)")
        let us = try #require(comment.range(of: "\n## Northwind Build US\n"), "\(comment)")
        #expect(uk.lowerBound < us.lowerBound)
        #expect(comment.contains("project.nwuk-thames-lock") && comment.contains("project.nwus-harbor-bridge"), "\(comment)")
        #expect(comment.components(separatedBy: "<sub>From [run 7]").count == 2, "one comment, one footer")
    }

    /// The reviewed plan, applied after the merge with the manifests it must still match.
    @Test func theReviewedPlanIsAppliedWithItsManifests() async throws {
        let job = try Job()
        defer { try? FileManager.default.removeItem(at: job.workspace) }
        try job.write(Self.manifests)
        let sandbox = "--sandbox=\(job.database)"
        let plan = try await job.step(
            "run.sh", id: "plan", inputs: ["COMMAND": "plan", "PATHS": "manifests", "PLAN_FILE": "plan.json", "ARGS": sandbox])
        #expect(job.outputs("plan")["exit-code"] == "0", "\(plan.stderr)")
        let apply = try await job.step(
            "run.sh", id: "apply", inputs: ["COMMAND": "apply", "PATHS": "manifests", "PLAN_FILE": "plan.json", "ARGS": sandbox])
        #expect(apply.stdout.contains("cogramctl apply plan.json --manifests manifests --sandbox="))
        #expect(job.outputs("apply")["exit-code"] == "0", "\(apply.stderr)")
        #expect(job.outputs("apply")["applied"] == "3")

        // Manifests changed since the review: refused with 3, nothing applied.
        let again = try await job.step(
            "run.sh", id: "plan2", inputs: ["COMMAND": "plan", "PATHS": "manifests", "PLAN_FILE": "plan2.json", "ARGS": sandbox])
        #expect(job.outputs("plan2")["exit-code"] == "0", "\(again.stderr)")
        try job.write(Self.manifests.replacingOccurrences(of: "role: editor", with: "role: viewer"))
        let stale = try await job.step(
            "run.sh", id: "stale", inputs: ["COMMAND": "apply", "PATHS": "manifests", "PLAN_FILE": "plan2.json", "ARGS": sandbox])
        #expect(job.outputs("stale")["exit-code"] == "3", "\(stale.stderr)")
    }

    @Test func aFailedPlanIsStillCommentedAndFailsTheJob() async throws {
        let job = try Job()
        defer { try? FileManager.default.removeItem(at: job.workspace) }
        try job.write("version: 1\nprojects:\n  - external_id: a\n    nmae: A\n")
        let plan = try await job.step("run.sh", id: "plan", inputs: ["COMMAND": "plan", "PATHS": "manifests"])
        #expect(plan.status == 0, "the step itself succeeds, so that the comment is posted")
        let outputs = job.outputs("plan")
        #expect(outputs["exit-code"] == "1")
        let comment = try String(contentsOfFile: try #require(outputs["comment-file"]), encoding: .utf8)
        #expect(comment.hasPrefix("### cogramctl plan failed (exit 1)"), "\(comment)")
        #expect(comment.contains("manifests/org.yaml:4:5: error:"), "\(comment)")
        #expect(plan.stdout.contains("::error file=manifests/org.yaml,line=4,col=5::"), "annotations on the diff")

        let wrong = try await job.step("run.sh", id: "wrong", inputs: ["COMMAND": "destroy"])
        #expect(wrong.status == 0)
        #expect(job.outputs("wrong")["exit-code"] == "64")
        #expect(wrong.stdout.contains("::error title=cogramctl::the command input must be validate, plan or apply"))
    }

    /// The release download: a checksum that matches puts the binary on PATH; one that does not is refused.
    @Test func installChecksTheReleaseChecksum() async throws {
        let job = try Job()
        defer { try? FileManager.default.removeItem(at: job.workspace) }
        let arch = try await Binary.run(["-m"], executable: "/usr/bin/uname").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = "cogramctl-9.9.9-linux-\(arch)"
        let release = job.workspace.appendingPathComponent("server/acme/cogramctl/releases/download/v9.9.9")
        let bin = job.workspace.appendingPathComponent("stage/\(name)/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
        try "#!/bin/sh\necho 9.9.9\n".write(to: bin.appendingPathComponent("cogramctl"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent("cogramctl").path)
        let pack = try await Binary.run(
            ["-c", "tar -C stage -czf \(release.path)/\(name).tar.gz \(name) && cd \(release.path) && sha256sum \(name).tar.gz > \(name).tar.gz.sha256"],
            in: job.workspace, executable: "/bin/sh")
        #expect(pack.status == 0, "\(pack.stderr)")
        let server = ["GITHUB_SERVER_URL": "file://" + job.workspace.appendingPathComponent("server").path,
                      "COGRAMCTL_VERSION": "v9.9.9", "COGRAMCTL_REPOSITORY": "acme/cogramctl"]

        let install = try await job.step("install.sh", id: "install", inputs: [:], extra: server)
        #expect(install.status == 0, "\(install.stderr)")
        let path = job.read("path.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(path.hasSuffix("/cogramctl-9.9.9/\(name)/bin"), "\(path)")
        #expect(FileManager.default.isExecutableFile(atPath: path + "/cogramctl"))

        // A tampered archive.
        try FileManager.default.removeItem(atPath: job.file("path.txt"))
        try Data("not the archive".utf8).write(to: release.appendingPathComponent("\(name).tar.gz"))
        let tampered = try await job.step("install.sh", id: "tampered", inputs: [:], extra: server)
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("::error title=cogramctl::the SHA-256 of \(name).tar.gz does not match"), "\(tampered.stdout)")
        #expect(job.read("path.txt").isEmpty, "nothing put on PATH")
    }

    /// The steps of action.yml call these scripts with every input they read.
    @Test func actionStepsPassEveryInputTheScriptsRead() throws {
        let action = try String(contentsOf: Repository.url("action.yml"), encoding: .utf8)
        #expect(action.contains("run: bash \"$GITHUB_ACTION_PATH/scripts/action/install.sh\""))
        #expect(action.contains("run: bash \"$GITHUB_ACTION_PATH/scripts/action/run.sh\""))
        let script = try String(contentsOf: Repository.url("scripts/action/run.sh"), encoding: .utf8)
        let read = Set(script.matches(of: /INPUT_([A-Z_]+)/).map { String($0.output.1) })
        #expect(read == ["COMMAND", "PATHS", "PLAN_FILE", "CHANGED_SINCE", "API_URL", "ARGS"])
        for name in read {
            let input = name.lowercased().replacingOccurrences(of: "_", with: "-")
            #expect(action.contains("INPUT_\(name): ${{ inputs.\(input) }}"), "\(name)")
        }
        for output in ["has-changes", "change-count", "destructive", "access-removed", "plan-file", "organizations", "applied", "failed", "exit-code"] {
            #expect(action.contains("value: ${{ steps.run.outputs.\(output) }}"), "\(output)")
        }
    }

    /// Every third-party action is pinned to a full commit SHA (a tag can be moved), with the version it stands for
    /// beside it; only cogramctl's own action keeps the release tag that users replace with theirs.
    @Test func thirdPartyActionsArePinnedToACommit() throws {
        let files = ["action.yml", "examples/ci/github/cogram-plan.yml", "examples/ci/github/cogram-apply.yml",
                     "examples/ci/github/cogram-drift.yml", "examples/ci/github/cogram-organizations.yml"]
        var thirdParty = 0
        for file in files {
            let text = try String(contentsOf: Repository.url(file), encoding: .utf8)
            for match in text.matches(of: /uses:\s*([^\s@]+)@(\S+)(.*)/) {
                let (action, ref, rest) = (String(match.output.1), String(match.output.2), String(match.output.3))
                if action == "OWNER/cogramctl" { continue }
                thirdParty += 1
                #expect(ref.wholeMatch(of: /[0-9a-f]{40}/) != nil, "\(file): \(action)@\(ref) is not pinned to a commit")
                #expect(rest.contains(/# v\d+\.\d+\.\d+/), "\(file): \(action) does not say which version the commit is")
            }
        }
        #expect(thirdParty >= 5)
    }
}
