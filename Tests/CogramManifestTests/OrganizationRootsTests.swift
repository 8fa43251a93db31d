import CogramManifest
import CogramTestSupport
import Foundation
import Testing

/// Several organization roots in one load (manifest-v1.md, "Organization" and its precise rules on roots).
@Suite struct OrganizationRootsTests {
    private func source(_ path: String, _ text: String) -> SourceFile { SourceFile(path: path, bytes: Array(text.utf8)) }

    private func organization(_ name: String, anchor: String? = nil, variable: String? = nil) -> String {
        var text = "version: 1\norganization:\n  name: \(name)\n"
        if let anchor { text += "  anchor: \(anchor)\n" }
        if let variable { text += "  api_key_env: \(variable)\n" }
        return text
    }

    private func project(_ id: String, group: String? = nil, email: String = "ana@acme.example") -> String {
        let member = group.map { "      - group: \($0)\n" } ?? "      - {email: \(email), role: owner}\n"
        return "version: 1\nprojects:\n  - external_id: \(id)\n    name: \(id)\n    members:\n" + member
    }

    private func errors(_ result: OrganizationLoadResult) -> [String] {
        result.diagnostics.filter { $0.severity == .error }.map(\.description)
    }

    @Test func eachRootIsOneOrganizationOrderedByName() throws {
        let result = ManifestLoader().loadOrganizations(sources: [
            source("us/org.yaml", organization("Acme US", anchor: "usr_us", variable: "COGRAM_API_KEY_US")),
            source("us/projects/p.yaml", project("p")),
            source("eu/org.yaml", organization("Acme EU", anchor: "usr_eu", variable: "COGRAM_API_KEY_EU")),
            source("eu/p.yaml", project("p")),
            source("eu/q.yaml", project("q")),
        ])
        #expect(result.isValid, "\(result.diagnostics)")
        #expect(result.organizations.map(\.name) == ["Acme EU", "Acme US"])
        let eu = try #require(result.organizations.first)
        // The same external_id in two organizations is two projects.
        #expect(eu.desired.projects.map(\.externalID) == ["p", "q"])
        #expect(eu.desired.files == ["eu/org.yaml", "eu/p.yaml", "eu/q.yaml"])
        #expect(eu.sources.map(\.path) == ["eu/org.yaml", "eu/p.yaml", "eu/q.yaml"])
        #expect(eu.organization?.apiKeyEnv == "COGRAM_API_KEY_EU")
        #expect(result.organizations.last?.desired.files == ["us/org.yaml", "us/projects/p.yaml"])
        #expect(result.sources.count == 5)
    }

    @Test func withoutRootsEverythingIsOneUnnamedOrganization() throws {
        let result = ManifestLoader().loadOrganizations(sources: [source("a.yaml", project("p")), source("b/c.yaml", project("q"))])
        let only = try #require(result.organizations.first)
        #expect(result.organizations.count == 1)
        #expect(only.name == nil)
        #expect(only.desired.projects.count == 2)
        #expect(try result.selecting([]).count == 1)
        #expect(throws: OrganizationSelectionError.unnamed) { try result.selecting(["Acme"]) }
    }

    @Test func rulesHoldPerRootAndGroupsAreVisibleOnlyInTheirRoot() {
        let group = "version: 1\ngroups:\n  - name: crew\n    members:\n      - {email: ana@acme.example, role: editor}\n"
        let result = ManifestLoader().loadOrganizations(sources: [
            source("eu/org.yaml", organization("EU", variable: "COGRAM_API_KEY_EU") + "ownership:\n  external_id_prefix: eu-\n"),
            source("eu/groups.yaml", group),
            source("eu/p.yaml", project("eu-p", group: "crew")),
            source("us/org.yaml", organization("US", variable: "COGRAM_API_KEY_US") + "ownership:\n  external_id_prefix: us-\n"),
            // Not in this root: the group of the other root is unknown here, and the prefix is this root's.
            source("us/p.yaml", project("us-p", group: "crew")),
            source("us/q.yaml", project("eu-q")),
        ])
        let found = errors(result)
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.hasPrefix("us/p.yaml:6:") && $0.contains("crew") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("us/q.yaml:3:") && $0.contains("does not start with the ownership prefix 'us-'") },
            "\(found)")
        #expect(result.organizations.isEmpty)
    }

    @Test func sectionsOnceEachArePerRoot() {
        let offboarded = "version: 1\noffboarded:\n  - email: leo@acme.example\n"
        let result = ManifestLoader().loadOrganizations(sources: [
            source("eu/org.yaml", organization("EU", variable: "COGRAM_API_KEY_EU")),
            source("eu/off.yaml", offboarded),
            source("us/org.yaml", organization("US", variable: "COGRAM_API_KEY_US")),
            source("us/off.yaml", offboarded),
            source("us/org2.yaml", organization("US2", variable: "COGRAM_API_KEY_US2")),
        ])
        #expect(errors(result) == [
            "us/org2.yaml:3:3: error: 'organization' may appear in one file of a root only; it is already set at us/org.yaml:3:3"])
    }

    @Test func aFileOutsideEveryRootIsAnError() {
        let result = ManifestLoader().loadOrganizations(sources: [
            source("us/org.yaml", organization("Acme US", variable: "COGRAM_API_KEY_US")),
            source("eu/org.yaml", organization("Acme EU", variable: "COGRAM_API_KEY_EU")),
            source("shared.yaml", project("p")),
        ])
        #expect(errors(result) == [
            "shared.yaml:1:1: error: this file is outside every organization root ('Acme US' (us/org.yaml), 'Acme EU' (eu/org.yaml)); "
                + "move it into the folder of the organization it belongs to, or load it on its own"])
        // One root and a file beside it, outside: the same rule.
        let one = ManifestLoader().loadOrganizations(sources: [
            source("us/org.yaml", organization("Acme US")), source("other/p.yaml", project("p"))])
        #expect(errors(one).first?.hasPrefix("other/p.yaml:1:1: error: this file is outside every organization root") == true)
    }

    @Test func aFileThatDoesNotComposeDoesNotMakeItsNeighboursOutside() {
        let result = ManifestLoader().loadOrganizations(sources: [
            source("us/org.yaml", organization("Acme US")),
            source("eu/broken.yaml", "version: 1\norganization: [\n"),
            source("eu/p.yaml", project("p")),
        ])
        #expect(!errors(result).isEmpty)
        #expect(!errors(result).contains { $0.contains("outside every organization root") }, "\(errors(result))")
    }

    @Test func aRootInsideAnotherNamesBothFiles() {
        let result = ManifestLoader().loadOrganizations(sources: [
            source("org.yaml", organization("Acme", variable: "COGRAM_API_KEY_ACME")),
            source("us/org.yaml", organization("Acme US", variable: "COGRAM_API_KEY_US")),
            source("us/p.yaml", project("p")),
        ])
        #expect(errors(result) == [
            "us/org.yaml:3:3: error: this organization root is inside the root of 'Acme' at org.yaml:3:3; roots must not nest: "
                + "move one organization's manifests out of the other's folder"])
    }

    @Test func twoRootsMustNotShareNameAnchorOrKeyVariable() {
        let result = ManifestLoader().loadOrganizations(sources: [
            source("a/org.yaml", organization("Acme", anchor: "usr_1", variable: "COGRAM_API_KEY_A")),
            source("b/org.yaml", organization("Acme", anchor: "usr_1", variable: "COGRAM_API_KEY_A")),
        ])
        #expect(errors(result) == [
            "b/org.yaml:3:3: error: each organization needs its own name: 'Acme' is also the organization at a/org.yaml:3:3",
            "b/org.yaml:3:3: error: each organization needs its own anchor: 'usr_1' is also the anchor of 'Acme' at a/org.yaml:3:3, so both roots would be the same Cogram organization",
            "b/org.yaml:3:3: error: each organization needs its own api_key_env: 'COGRAM_API_KEY_A' is also the key variable of 'Acme' at a/org.yaml:3:3",
        ])
    }

    @Test func severalRootsEachNeedAKeyVariable() {
        let result = ManifestLoader().loadOrganizations(sources: [
            source("a/org.yaml", organization("Acme US-East 2", variable: "COGRAM_API_KEY_A")),
            source("b/org.yaml", organization("Acme Nord-Süd")),
        ])
        #expect(errors(result) == [
            "b/org.yaml:3:3: error: with several organizations every organization needs 'api_key_env' (the variable that holds its key); "
                + "add one to 'Acme Nord-Süd', for example COGRAM_API_KEY_ACME_NORD_S_D"])
        // One root alone may leave it out (the key comes from COGRAM_API_KEY).
        #expect(ManifestLoader().loadOrganizations(sources: [source("b/org.yaml", organization("Acme"))]).isValid)
    }

    @Test func selectingByNameListsTheKnownOnes() throws {
        let result = ManifestLoader().loadOrganizations(sources: [
            source("us/org.yaml", organization("Acme US", variable: "COGRAM_API_KEY_US")),
            source("eu/org.yaml", organization("Acme EU", variable: "COGRAM_API_KEY_EU")),
            source("jp/org.yaml", organization("Acme JP", variable: "COGRAM_API_KEY_JP")),
        ])
        #expect(try result.selecting(["Acme US", "Acme EU", "Acme US"]).map(\.name) == ["Acme EU", "Acme US"])
        #expect(try result.selecting([]).count == 3)
        #expect(throws: OrganizationSelectionError.unknown(name: "Acme UK", known: ["Acme EU", "Acme JP", "Acme US"])) {
            try result.selecting(["Acme UK"])
        }
        #expect(OrganizationSelectionError.unknown(name: "Acme UK", known: ["Acme EU", "Acme JP", "Acme US"]).description
            == "--org 'Acme UK' names no organization of the manifests (did you mean 'Acme US'?); they hold: 'Acme EU', 'Acme JP', 'Acme US'")
    }

    @Test func theOneOrganizationAPIRefusesSeveralAndKeepsOne() throws {
        let sources = [
            source("us/org.yaml", organization("Acme US", variable: "COGRAM_API_KEY_US")),
            source("eu/org.yaml", organization("Acme EU", variable: "COGRAM_API_KEY_EU")),
        ]
        let several = ManifestLoader().load(sources: sources)
        #expect(several.desired == nil)
        #expect(several.diagnostics.map(\.description) == [
            "us/org.yaml:3:3: error: the manifests hold several organizations ('Acme EU' at eu/org.yaml:3:3, 'Acme US' at us/org.yaml:3:3); "
                + "this command works on one organization at a time: give it one organization's folder"])
        let one = ManifestLoader().load(sources: [sources[0], source("us/p.yaml", project("p"))])
        #expect(one.desired?.organization?.name == "Acme US", "\(one.diagnostics)")
        #expect(one.desired?.projects.count == 1)
    }

    @Test func pathsBelowTwoRootsLoadBothOrganizationFiles() throws {
        let directory = try makeTemporaryDirectory("cogram-roots")
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/repo/.git", withIntermediateDirectories: true)
        for (folder, name) in [("us", "Acme US"), ("eu", "Acme EU")] {
            try fm.createDirectory(atPath: root + "/repo/\(folder)/projects", withIntermediateDirectories: true)
            try organization(name, variable: "COGRAM_API_KEY_\(folder.uppercased())")
                .write(toFile: root + "/repo/\(folder)/org.yaml", atomically: true, encoding: .utf8)
            try project("p").write(toFile: root + "/repo/\(folder)/projects/p.yaml", atomically: true, encoding: .utf8)
        }
        let below = ManifestLoader().loadOrganizations(paths: [root + "/repo/us/projects", root + "/repo/eu/projects/p.yaml"])
        #expect(below.organizations.map(\.name) == ["Acme EU", "Acme US"], "\(below.diagnostics)")
        #expect(below.organizations.map(\.sources.count) == [2, 2])
        let whole = ManifestLoader().loadOrganizations(paths: [root + "/repo"])
        #expect(whole.organizations.map(\.name) == ["Acme EU", "Acme US"], "\(whole.diagnostics)")
    }

    /// Which files count as an organization root's: a line that starts with `organization:`, as the text search
    /// that the byte search replaced found it (characters, not bytes, where a combining mark follows the colon).
    @Test func aRootFileHasALineStartingWithOrganization() throws {
        let directory = try makeTemporaryDirectory("cogram-root-lines")
        defer { try? FileManager.default.removeItem(at: directory) }
        let files: [(name: String, bytes: [UInt8], root: Bool)] = [
            ("first.yaml", Array("organization:\n  name: A\n".utf8), true),
            ("later.yaml", Array("version: 1\norganization:\n  name: A\n".utf8), true),
            ("crlf.yml", Array("version: 1\r\norganization:\r\n  name: A\r\n".utf8), true),
            ("last-line.yaml", Array("version: 1\n\norganization:".utf8), true),
            ("invalid-utf8.yaml", [0x61, 0xC3, 0x0A] + Array("organization: x\n".utf8), true),
            ("indented.yaml", Array("version: 1\n  organization:\n".utf8), false),
            ("inside.yaml", Array("version: 1\nmy organization: x\nnot organization:\n".utf8), false),
            ("bom.yaml", [0xEF, 0xBB, 0xBF] + Array("organization: x\n".utf8), false),
            ("combining.yaml", Array("version: 1\norganization:\u{301} x\n".utf8), false),
            ("combining-then-plain.yaml", Array("organization:\u{301} x\norganization: y\n".utf8), true),
            ("short.yaml", Array("organizatio".utf8), false),
            ("empty.yaml", [], false),
            ("other.txt", Array("organization: x\n".utf8), false),
            (".hidden.yaml", Array("organization: x\n".utf8), false),
        ]
        for file in files {
            try Data(file.bytes).write(to: directory.appendingPathComponent(file.name))
        }
        let found = ManifestLoader().organizationRoots(below: directory.path).map { ($0.file as NSString).lastPathComponent }
        #expect(found == files.filter(\.root).map(\.name).sorted())
    }
}
