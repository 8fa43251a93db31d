import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

@Suite struct DocumentTests {
    @Test func jsonRoundTrip() throws {
        let (desired, observed) = F.rich()
        let plan = F.plan(desired, observed)
        let data = try plan.jsonData()
        let loaded = try Plan.load(from: data)
        #expect(loaded == plan)
        #expect(try loaded.jsonData() == data)
    }

    @Test func documentHasTheSpecifiedShape() throws {
        let (desired, observed) = F.rich()
        let data = try F.plan(desired, observed).jsonData()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["format_version"] as? String == "1")
        #expect(json["kind"] as? String == "cogramctl-plan")
        #expect(json["created_at"] as? String == "2026-02-28T12:00:00Z")
        #expect(json["expires_at"] as? String == "2026-03-01T12:00:00Z")
        #expect(json["api_url"] as? String == "https://api.cogram.com")
        #expect(json["tool_version"] as? String == "0.1.0")
        let summary = try #require(json["summary"] as? [String: Int])
        #expect(Set(summary.keys) == Set(ChangeAction.allCases.map(\.rawValue)))
        let changes = try #require(json["changes"] as? [[String: Any]])
        let create = try #require(changes.first { $0["action"] as? String == "create" })
        #expect(create["before"] is NSNull)
        #expect(create["address"] as? String == "project.acme-new")
        #expect(create["precondition"] as? [String: String] == ["project": "absent", "external_id": "acme-new"])
        let depot = try #require(changes.first { $0["address"] as? String == "project.acme-depot" })
        // `description: null` in `after` clears; the key is present with a JSON null.
        let after = try #require(depot["after"] as? [String: Any])
        #expect(after["description"] is NSNull)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\n  \"api_url\" : "))  // pretty printed, sorted keys
        // Only the name of the key's variable (organization.api_key_env), never a key.
        #expect(!text.lowercased().replacingOccurrences(of: "\"api_key_env\"", with: "").contains("api_key"))
    }

    @Test func readersIgnoreUnknownKeys() throws {
        let (desired, observed) = F.rich()
        var json = try #require(try JSONSerialization.jsonObject(with: F.plan(desired, observed).jsonData()) as? [String: Any])
        json["future_field"] = ["x": 1]
        let plan = try Plan.load(from: JSONSerialization.data(withJSONObject: json))
        #expect(plan.changes.count == F.plan(desired, observed).changes.count)
    }

    @Test(arguments: [
        (#"{"kind": "terraform-plan", "format_version": "1"}"#,
         #"this file is not a cogramctl plan ("kind" is another value, expected "cogramctl-plan"); create one with `cogramctl plan --out FILE`"#),
        (#"{"kind": "cogramctl-plan", "format_version": "2"}"#,
         #"this plan has format_version "2", but this cogramctl reads format_version "1"; run `cogramctl plan --out FILE` again with this version"#),
        (#"{"kind": "cogramctl-plan"}"#, #"the plan file is damaged: "format_version" is missing; run `cogramctl plan --out FILE` again"#),
        (#"{"kind": "cogramctl-plan", "format_version": "1"}"#,
         #"the plan file is damaged: the document: "tool_version" is missing; run `cogramctl plan --out FILE` again"#),
        ("not json", "the plan file is damaged: it is not a JSON object"),
    ])
    func loadingRejectsOtherDocuments(_ text: String, _ message: String) {
        #expect {
            _ = try Plan.load(from: Data(text.utf8))
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func minorFormatVersionsLoad() throws {
        let (desired, observed) = F.rich()
        var json = try #require(try JSONSerialization.jsonObject(with: F.plan(desired, observed).jsonData()) as? [String: Any])
        json["format_version"] = "1.3"
        #expect(throws: Never.self) { try Plan.load(from: JSONSerialization.data(withJSONObject: json)) }
    }

    @Test func expiryAndAPIURL() throws {
        let plan = F.plan(DesiredState(), ObservedState())
        #expect(!plan.isExpired(now: F.fixedNow.addingTimeInterval(3600)))
        #expect(plan.isExpired(now: F.fixedNow.addingTimeInterval(24 * 3600)))
        #expect(throws: PlanValidationError.expired(expiresAt: "2026-03-01T12:00:00Z")) {
            try plan.validateForApply(apiURL: "https://api.cogram.com", now: F.fixedNow.addingTimeInterval(25 * 3600))
        }
        #expect(throws: Never.self) { try plan.validateForApply(apiURL: "https://API.cogram.com/", now: F.fixedNow) }
        #expect(throws: PlanValidationError.apiURLMismatch(plan: "https://api.cogram.com", current: "http://127.0.0.1:8080")) {
            try plan.validateForApply(apiURL: "http://127.0.0.1:8080", now: F.fixedNow)
        }
    }

    @Test func manifestDigest() {
        let a = ManifestDigest.compute(files: [("a.yaml", Data("version: 1\n".utf8))])
        #expect(a.hasPrefix("sha256:") && a.count == 7 + 64)
        #expect(a == ManifestDigest.compute(files: [("a.yaml", Data("version: 1\n".utf8))]))
        #expect(a != ManifestDigest.compute(files: [("b.yaml", Data("version: 1\n".utf8))]))
        #expect(
            ManifestDigest.compute(files: [("a", Data("xy".utf8)), ("b", Data())])
                != ManifestDigest.compute(files: [("a", Data("x".utf8)), ("b", Data("y".utf8))]))
    }

    /// Issue 23.9: the digest is over contents and paths relative to the path argument, so that `plan ./m` and
    /// `apply PLAN --manifests m` (or an absolute path) agree; `manifest_files` names what changed.
    @Test func manifestDigestDoesNotDependOnPathSpelling() throws {
        let directory = try makeTemporaryDirectory("cogram-digest")
        defer { try? FileManager.default.removeItem(at: directory) }
        let m = directory.appendingPathComponent("m")
        try FileManager.default.createDirectory(at: m.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let files = [("a.yaml", "version: 1\n"), ("sub/b.yaml", "version: 1\nprojects: []\n")]
        func fingerprint(_ root: String, _ contents: [(String, String)] = files) -> (digest: String, files: [String: String]) {
            ManifestDigest.fingerprint(
                files: contents.map { (path: (root as NSString).appendingPathComponent($0.0), data: Data($0.1.utf8)) }, roots: [root])
        }
        let absolute = fingerprint(m.path)
        #expect(fingerprint(m.path + "/").digest == absolute.digest)
        #expect(fingerprint(directory.path + "/./m").digest == absolute.digest)
        #expect(fingerprint(directory.path + "/sub/../m").digest == absolute.digest)
        #expect(Set(absolute.files.keys) == ["a.yaml", "sub/b.yaml"])
        // In another folder with the same files and names: the same digest (the root is not part of it).
        let elsewhere = directory.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        #expect(fingerprint(elsewhere.path).digest == absolute.digest)
        // One file changed: another digest, and that file named.
        let changed = fingerprint(m.path, [("a.yaml", "version: 1\n"), ("sub/b.yaml", "version: 1\nprojects: [x]\n")])
        #expect(changed.digest != absolute.digest)
        #expect(ManifestDigest.changedFiles(absolute.files, changed.files) == ["sub/b.yaml"])
        #expect(ManifestDigest.changedFiles(absolute.files, ["a.yaml": absolute.files["a.yaml"]!, "c.yaml": "sha256:0"]) == ["c.yaml", "sub/b.yaml"])
        #expect(SavedPlanVerification.manifestsChanged(["m"], files: ["sub/b.yaml"]).contains("(changed, added or gone: sub/b.yaml)"))
    }
}
