#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Two organization roots in one repository, through the built binary against `sandbox serve` holding both
/// organizations in one database, one key each (cli.md, "Several organizations").
@Suite struct SeveralOrganizationsTests {
    static func seed(_ name: String, _ prefix: String) -> SandboxSeed {
        SandboxSeed(organization: name, users: [
            .init(email: "admin@\(prefix).example", name: "Admin", role: .admin, id: "usr_\(prefix)_admin"),
            .init(email: "ana@\(prefix).example", name: "Ana", role: .member),
        ])
    }

    static func manifest(_ name: String, _ prefix: String, variable: String) -> String {
        """
        version: 1
        organization:
          name: \(name)
          anchor: usr_\(prefix)_admin
          api_key_env: \(variable)
        projects:
          - external_id: \(prefix)-one
            name: \(prefix.uppercased()) One
            members:
              - {email: admin@\(prefix).example, role: owner}
              - {email: ana@\(prefix).example, role: editor}

        """
    }

    /// Acme US and Acme EU (`seed`) in `folder/sandbox.sqlite` with a key each, and their roots (`writeRoots`).
    static func seedUSAndEU(
        in folder: URL
    ) throws -> (database: String, us: (id: String, key: String), eu: (id: String, key: String)) {
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let seeded = try ServedSandbox.seed([(seed("Acme US", "us"), "us"), (seed("Acme EU", "eu"), "eu")], database: database)
        try writeRoots(in: folder)
        return (database, seeded[0], seeded[1])
    }

    /// A root per organization, `folder/manifests/us` and `folder/manifests/eu`, each holding its `manifest` (the
    /// key from `COGRAM_API_KEY_US` or `COGRAM_API_KEY_EU`).
    static func writeRoots(in folder: URL) throws {
        for (name, prefix) in [("Acme US", "us"), ("Acme EU", "eu")] {
            let root = folder.appendingPathComponent("manifests").appendingPathComponent(prefix)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try manifest(name, prefix, variable: "COGRAM_API_KEY_\(prefix.uppercased())")
                .write(to: root.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        }
    }

    /// `sandbox serve` over a database that holds several organizations and their keys already (no key of its own).
    static func serve(database: String, in folder: URL) async throws -> (BackgroundBinary, String) {
        try await ServedSandbox.launch(database: database, environment: ["NO_COLOR": "1"], in: folder)
    }

    @Test func planPlansEachOrganizationWithItsOwnKey() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-orgs")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (database, seededUS, seededEU) = try Self.seedUSAndEU(in: folder)
        let (usKey, euKey) = (seededUS.key, seededEU.key)
        let (server, url) = try await Self.serve(database: database, in: folder)
        let outputFile = folder.appendingPathComponent("github-output").path
        let both = ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": usKey, "COGRAM_API_KEY_EU": euKey, "NO_COLOR": "1"]

        let plan = try await Binary.run(
            ["plan", "manifests", "--out", "set.json"], environment: both.merging(["GITHUB_OUTPUT": outputFile]) { a, _ in a },
            in: folder)
        let json = try await Binary.run(["plan", "manifests", "--format", "json"], environment: both, in: folder)
        let onlyUS = try await Binary.run(
            ["plan", "manifests", "--org", "Acme US"],
            environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": usKey, "NO_COLOR": "1"], in: folder)
        let unknown = try await Binary.run(["plan", "manifests", "--org", "Acme UK"], environment: both, in: folder)
        let missing = try await Binary.run(
            ["plan", "manifests", "--verbose"],
            environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": usKey, "NO_COLOR": "1"], in: folder)
        let swapped = try await Binary.run(
            ["plan", "manifests", "--out", "swapped.json"],
            environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": euKey, "COGRAM_API_KEY_EU": usKey, "NO_COLOR": "1"],
            in: folder)
        let shown = try await Binary.run(["show", "set.json"], environment: both, in: folder)
        let unchecked = try await Binary.run(["show", "set.json", "--format", "json"], environment: ["NO_COLOR": "1"], in: folder)
        let tamperedText = try String(contentsOf: folder.appendingPathComponent("set.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"name\" : \"Acme EU\"", with: "\"name\" : \"Acme ZZ\"")
        try tamperedText.write(to: folder.appendingPathComponent("tampered.json"), atomically: true, encoding: .utf8)
        let tampered = try await Binary.run(["show", "tampered.json"], environment: both, in: folder)
        let applySet = try await Binary.run(["apply", "set.json"], environment: both, in: folder)
        server.send(SIGINT)
        _ = await server.wait(timeout: 30)

        #expect(plan.status == 0, "\(plan.stderr)")
        let eu = try #require(plan.stdout.range(of: "=== Acme EU ===\n\nOrganization: Acme EU (anchor usr_eu_admin)\nAPI: \(url), key from COGRAM_API_KEY_EU\n"), "\(plan.stdout)")
        let us = try #require(plan.stdout.range(of: "=== Acme US ===\n\nOrganization: Acme US (anchor usr_us_admin)\nAPI: \(url), key from COGRAM_API_KEY_US\n"), "\(plan.stdout)")
        #expect(eu.lowerBound < us.lowerBound, "sections in name order")
        #expect(plan.stdout.hasSuffix("Totals: 6 changes in 2 organizations (Acme EU: 3, Acme US: 3).\n"), "\(plan.stdout)")
        let outputs = try String(contentsOfFile: outputFile, encoding: .utf8)
        #expect(outputs.contains("organizations=Acme EU,Acme US\n"), "\(outputs)")
        #expect(outputs.contains("change-count=6\n") && outputs.contains("has-changes=true\n"), "\(outputs)")

        let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("set.json"))) as? [String: Any])
        #expect(saved["kind"] as? String == "cogramctl-plan-set")
        #expect((saved["signature"] as? String)?.hasPrefix("hmac-sha256:") == true)
        let names = (saved["plans"] as? [[String: Any]])?.compactMap { ($0["organization"] as? [String: Any])?["name"] as? String }
        #expect(names == ["Acme EU", "Acme US"])
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(printed["kind"] as? String == "cogramctl-plan-set" && (printed["plans"] as? [Any])?.count == 2, "\(json.stdout.prefix(300))")

        #expect(onlyUS.status == 0, "the EU key is not needed with --org: \(onlyUS.stderr)")
        #expect(onlyUS.stdout.contains("=== Acme US ===") && !onlyUS.stdout.contains("Acme EU"), "\(onlyUS.stdout)")
        #expect(onlyUS.stdout.contains("Totals: 3 changes in 1 organization (Acme US: 3)."), "\(onlyUS.stdout)")
        #expect(unknown.status == 1 && unknown.stderr.contains("--org 'Acme UK' names no organization"), "\(unknown.stderr)")

        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")
        #expect(missing.stderr.contains("no Cogram API key in COGRAM_API_KEY_EU"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("/v1/"), "no request is sent for any organization: \(missing.stderr)")
        #expect(missing.stdout.isEmpty)

        #expect(swapped.status == 1, "\(swapped.stdout)\(swapped.stderr)")
        #expect(swapped.stderr.contains("it is the key of another organization"), "\(swapped.stderr)")
        #expect(swapped.stdout.isEmpty, "\(swapped.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("swapped.json").path), "no plan set is saved")

        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("=== Acme EU ===") && shown.stdout.contains("Totals: 6 changes in 2 organizations"), "\(shown.stdout)")
        #expect(!shown.stderr.contains("not checked"), "\(shown.stderr)")
        #expect(unchecked.status == 0 && unchecked.stderr.contains("signatures were not checked"), "\(unchecked.stderr)")
        #expect(unchecked.stdout.contains("\"kind\" : \"cogramctl-plan-set\""), "\(unchecked.stdout.prefix(200))")
        #expect(tamperedText.contains("Acme ZZ"))
        #expect(tampered.status == 3 && tampered.stdout.isEmpty, "\(tampered.stdout)\(tampered.stderr)")
        #expect(applySet.status == 0, "\(applySet.stdout)\(applySet.stderr)")
        #expect(applySet.stdout.hasSuffix("Totals: 6 changes applied, 0 failed in 2 organizations (Acme EU: 3 applied; Acme US: 3 applied).\n"), "\(applySet.stdout)")

        for result in [plan, json, onlyUS, unknown, missing, swapped, shown, applySet] {
            #expect(!(result.stdout + result.stderr).contains(usKey) && !(result.stdout + result.stderr).contains(euKey), "keys are never printed")
        }
    }

    // MARK: - apply

    /// A database holding Acme US and Acme EU with one key each, a root per organization, and `sandbox serve`
    /// over it (with `faults`, `--fault-fail` rules).
    struct Fixture {
        var folder: URL
        var database: String
        var url: String
        var server: BackgroundBinary
        var usKey: String
        var euKey: String
        var usID: String
        var euID: String

        static func start(faults: [String] = [], serving: [String] = []) async throws -> Fixture {
            let folder = try makeTemporaryDirectory("cogramctl-orgs-apply")
            let (database, us, eu) = try SeveralOrganizationsTests.seedUSAndEU(in: folder)
            let (server, url) = try await ServedSandbox.launch(
                database: database, environment: ["NO_COLOR": "1"], arguments: faults.flatMap { ["--fault-fail", $0] } + serving,
                in: folder)
            return Fixture(
                folder: folder, database: database, url: url, server: server, usKey: us.key, euKey: eu.key, usID: us.id, euID: eu.id)
        }

        /// The environment with the given keys (both by default) and the API URL.
        func environment(us: String?? = .none, eu: String?? = .none, extra: [String: String] = [:]) -> [String: String] {
            var environment = ["COGRAM_API_URL": url, "NO_COLOR": "1"].merging(extra) { a, _ in a }
            if let key = us ?? usKey { environment["COGRAM_API_KEY_US"] = key }
            if let key = eu ?? euKey { environment["COGRAM_API_KEY_EU"] = key }
            return environment
        }

        func run(_ arguments: [String], _ environment: [String: String]) async throws -> Binary.Result {
            try await Binary.run(arguments, environment: environment, in: folder)
        }

        /// Memberships by project name, per organization.
        func memberships() throws -> (us: [String: [String: ProjectRole]], eu: [String: [String: ProjectRole]]) {
            (try sandboxMemberships(database, usID), try sandboxMemberships(database, euID))
        }

        func stop() async {
            server.send(SIGINT)
            _ = await server.wait(timeout: 30)
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test func applyOfAPlanSetChecksEveryOrganizationBeforeAnyWrite() async throws {
        let f = try await Fixture.start()
        let planned = try await f.run(["plan", "manifests", "--out", "set.json"], f.environment())
        let planKey = ["COGRAM_PLAN_KEY": "plan-key-" + UUID().uuidString]
        let keyed = try await f.run(["plan", "manifests", "--out", "keyed.json"], f.environment(extra: planKey))
        let setText = try String(contentsOf: f.folder.appendingPathComponent("set.json"), encoding: .utf8)
        try setText.replacingOccurrences(of: "US One", with: "US Won")
            .write(to: f.folder.appendingPathComponent("tampered.json"), atomically: true, encoding: .utf8)

        let missing = try await f.run(["apply", "set.json"], f.environment(eu: .some(nil)))
        let tampered = try await f.run(["apply", "tampered.json"], f.environment())
        let swapped = try await f.run(["apply", "keyed.json"], f.environment(us: f.euKey, eu: f.usKey, extra: planKey))
        let swappedManifests = try await f.run(["apply", "manifests", "--auto-approve"], f.environment(us: f.euKey, eu: f.usKey))
        let untouched = try f.memberships()
        let unknown = try await f.run(["apply", "set.json", "--org", "Acme UK"], f.environment())
        let onlyUS = try await f.run(["apply", "set.json", "--org", "Acme US"], f.environment(eu: .some(nil)))
        let afterUS = try f.memberships()
        let rest = try await f.run(
            ["apply", "set.json", "--org", "Acme EU", "--manifests", "manifests"], f.environment(us: .some(nil)))
        let after = try f.memberships()
        await f.stop()

        #expect(planned.status == 0 && keyed.status == 0, "\(planned.stderr)\(keyed.stderr)")
        #expect(planned.stderr.contains("Apply exactly this plan set with: cogramctl apply set.json"), "\(planned.stderr)")
        #expect(setText.contains("US One"))
        #expect(untouched.us.isEmpty && untouched.eu.isEmpty, "nothing written in either organization: \(untouched)")

        #expect(missing.status == 1 && missing.stderr.contains("no Cogram API key in COGRAM_API_KEY_EU"), "\(missing.stderr)")
        #expect(missing.stdout.isEmpty, "\(missing.stdout)")
        #expect(tampered.status == 3 && tampered.stderr.contains("plan 2 of the set:"), "\(tampered.stderr)")
        #expect(tampered.stderr.contains("Nothing was changed.") && tampered.stdout.isEmpty, "\(tampered.stdout)")
        for result in [swapped, swappedManifests] {
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("COGRAM_API_KEY_EU reads an organization with no user of id usr_eu_admin"), "\(result.stderr)")
            #expect(result.stderr.contains("COGRAM_API_KEY_US reads an organization with no user of id usr_us_admin"), "\(result.stderr)")
        }
        #expect(unknown.status == 1 && unknown.stderr.contains("--org 'Acme UK' names no organization of the plan set"), "\(unknown.stderr)")

        #expect(onlyUS.status == 0, "the EU key is not needed with --org: \(onlyUS.stderr)")
        #expect(onlyUS.stdout.contains("=== Acme US ===") && !onlyUS.stdout.contains("Acme EU"), "\(onlyUS.stdout)")
        #expect(onlyUS.stdout.hasSuffix("Totals: 3 changes applied, 0 failed in 1 organization (Acme US: 3 applied).\n"), "\(onlyUS.stdout)")
        #expect(afterUS.us == ["US One": ["admin@us.example": .owner, "ana@us.example": .editor]], "\(afterUS.us)")
        #expect(afterUS.eu.isEmpty, "\(afterUS.eu)")

        #expect(rest.status == 0, "re-planned from its own root, with its own key: \(rest.stdout)\(rest.stderr)")
        #expect(rest.stdout.hasPrefix("=== Acme EU ===\n\n") && !rest.stdout.contains("Acme US"), "\(rest.stdout)")
        #expect(rest.stdout.hasSuffix("Totals: 3 changes applied, 0 failed in 1 organization (Acme EU: 3 applied).\n"), "\(rest.stdout)")
        #expect(after.eu == ["EU One": ["admin@eu.example": .owner, "ana@eu.example": .editor]], "\(after.eu)")

        for result in [planned, keyed, missing, tampered, swapped, swappedManifests, unknown, onlyUS, rest] {
            #expect(!(result.stdout + result.stderr).contains(f.usKey) && !(result.stdout + result.stderr).contains(f.euKey), "keys are never printed")
        }
    }

    @Test func aFailureInOneOrganizationDoesNotStopTheOther() async throws {
        let f = try await Fixture.start(faults: ["PUT /v1/projects/*/members/usr_us_admin=409"])
        let output = f.folder.appendingPathComponent("github-output").path
        let applied = try await f.run(["apply", "manifests", "--auto-approve"], f.environment(extra: ["GITHUB_OUTPUT": output]))
        let after = try f.memberships()
        let outputs = try String(contentsOfFile: output, encoding: .utf8)
        await f.stop()

        #expect(applied.status == 1, "the worst of 1 (Acme US) and 0 (Acme EU): \(applied.stdout)\(applied.stderr)")
        #expect(applied.stdout.contains("Totals: 5 changes applied, 1 failed in 2 organizations (Acme EU: 3 applied; Acme US: 2 applied, 1 failed, exit 1).\n"), "\(applied.stdout)")
        #expect(after.eu == ["EU One": ["admin@eu.example": .owner, "ana@eu.example": .editor]], "\(after.eu)")
        #expect(after.us == ["US One": ["ana@us.example": .editor]], "\(after.us)")
        #expect(outputs.hasSuffix("applied=5\nfailed=1\norganizations=Acme EU,Acme US\n"), "\(outputs)")
    }

    /// `apply --format json` over two organizations: one `cogramctl-apply-report-set` on stdout, each
    /// organization's report naming it, in name order, with the required keys of the set's schema.
    @Test func applyFormatJSONPrintsOneReportSet() async throws {
        let f = try await Fixture.start(faults: ["PUT /v1/projects/*/members/usr_us_admin=409"])
        let applied = try await f.run(["apply", "manifests", "--auto-approve", "--format", "json"], f.environment())
        await f.stop()

        #expect(applied.status == 1, "the worst of 1 (Acme US) and 0 (Acme EU): \(applied.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(applied.stdout.utf8)) as? [String: Any], "\(applied.stdout)")
        let schema = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Repository.url("schemas/cogramctl-apply-report-set.v1.schema.json"))) as? [String: Any])
        #expect(document["kind"] as? String == "cogramctl-apply-report-set")
        #expect(document["format_version"] as? String == "1")
        for key in schema["required"] as? [String] ?? [] { #expect(document[key] != nil, "\(key)") }
        let reports = try #require(document["organizations"] as? [[String: Any]])
        let reportSchema = (schema["$defs"] as? [String: Any])?["report"] as? [String: Any]
        for report in reports {
            for key in reportSchema?["required"] as? [String] ?? [] { #expect(report[key] != nil, "\(key)") }
            #expect(report["kind"] as? String == "cogramctl-apply-report")
        }
        #expect(reports.map { ($0["organization"] as? [String: Any])?["name"] as? String } == ["Acme EU", "Acme US"])
        #expect(reports.map { $0["status"] as? String } == ["applied", "failed"])
        let totals = try #require(document["totals"] as? [String: Any])
        #expect(totals["organizations"] as? Int == 2 && totals["exit_code"] as? Int == 1, "\(totals)")
        let summary = try #require(totals["summary"] as? [String: Int])
        #expect(summary["done"] == 5 && summary["failed"] == 1, "\(summary)")
        #expect(!applied.stdout.contains("===") && !applied.stdout.contains("Totals:"), "only the document on stdout")
    }

    /// An interrupt while a plan set's organizations are checked (every read slowed down so that the window is
    /// wide) stops the run before any organization starts: the reads in flight finish, nothing is written in
    /// either organization, each is reported not started, exit 130.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptBeforeAnyOrganizationStartsAppliesNone(signal: Int32) async throws {
        let f = try await Fixture.start(serving: ["--fault-latency-ms", "1500"])
        let planned = try await f.run(["plan", "manifests", "--out", "set.json"], f.environment())
        let apply = try BackgroundBinary(["apply", "set.json"], environment: f.environment(), in: f.folder)
        try await Task.sleep(for: .seconds(2.5))
        apply.send(signal)
        let status = await apply.wait(timeout: 120)
        let after = try f.memberships()
        await f.stop()

        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(status == 130, "exit \(status)\n\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stderr.contains("Interrupt: finishing the changes in flight"), "\(apply.stderr)")
        #expect(apply.stderr.contains("Stopped: Acme EU not started; Acme US not started. Run apply again to finish."), "\(apply.stderr)")
        #expect(apply.stdout.hasSuffix("(Acme EU: not started; Acme US: not started).\n"), "\(apply.stdout)")
        #expect(after.us.isEmpty && after.eu.isEmpty, "nothing written in either organization: \(after)")
    }

    /// An interrupt while the first organization applies lets its changes in flight finish, applies no further
    /// organization, reports each one's state and exits 130; the next apply finishes both.
    /// The interrupt is sent once the plan is shown, so it must land before both organizations' writes are done:
    /// 1.5 s a request leaves about 3 s for that even on a heavily loaded machine.
    @Test func anInterruptDuringOneOrganizationStartsNoOther() async throws {
        let f = try await Fixture.start(serving: ["--fault-latency-ms", "1500"])
        let apply = try BackgroundBinary(["apply", "manifests", "--auto-approve"], environment: f.environment(), in: f.folder)
        let started = await apply.wait(timeout: 120) { apply.stdout.contains("=== Acme EU ===") }
        apply.send(SIGINT)
        let status = await apply.wait(timeout: 120)
        let between = try f.memberships()
        let again = try await f.run(["apply", "manifests", "--auto-approve"], f.environment())
        let after = try f.memberships()
        await f.stop()

        #expect(started, "\(apply.stderr)")
        #expect(status == 130, "exit \(status)\n\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stderr.contains("Acme US not started. Run apply again to finish."), "\(apply.stderr)")
        #expect(apply.stdout.contains("; Acme US: not started).\n") && apply.stdout.components(separatedBy: "=== Acme US ===").count == 2, "only in the plan shown: \(apply.stdout)")
        #expect(between.us.isEmpty, "no write in the organization not started: \(between.us)")
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(after.eu == ["EU One": ["admin@eu.example": .owner, "ana@eu.example": .editor]], "\(after.eu)")
        #expect(after.us == ["US One": ["admin@us.example": .owner, "ana@us.example": .editor]], "\(after.us)")
    }

    /// `plan --sandbox --out` over two roots, then `apply set.json --sandbox`, with no key anywhere: each
    /// organization applied in the embedded sandbox with its own sandbox key, which also checks the signatures.
    @Test func aPlanSetSavedAgainstTheSandboxAppliesWithSandbox() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-orgs-sandbox-set")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writeRoots(in: folder)
        let planned = try await Binary.run(["plan", "manifests", "--sandbox", "--out", "set.json"], environment: ["NO_COLOR": "1"], in: folder)
        let hint = try #require(planned.stderr.split(separator: "Apply exactly this plan set with: cogramctl ").last?.split(separator: "\n").first)
        let applied = try await Binary.run(hint.split(separator: " ").map(String.init), environment: ["NO_COLOR": "1"], in: folder)
        let again = try await Binary.run(["plan", "manifests", "--sandbox", "--detailed-exitcode"], environment: ["NO_COLOR": "1"], in: folder)

        #expect(planned.status == 0, "\(planned.stdout)\n\(planned.stderr)")
        #expect(hint.hasPrefix("apply set.json --sandbox="), "the hint names the database: \(hint)")
        #expect(applied.status == 0, "\(applied.stdout)\n\(applied.stderr)")
        #expect(applied.stdout.contains("Totals: 6 changes applied, 0 failed in 2 organizations"), "\(applied.stdout)")
        #expect(again.status == 0, "nothing left to do in either organization: \(again.stdout)\n\(again.stderr)")
    }
}
