import CogramAPI
import CogramManifest
@testable import CogramImport
import CogramPlan
import CogramRandom
import CogramTestSupport
import Foundation
import Testing

/// `cogramctl import` without a network: the scalar writer, slugs, the imported model and its rendering.
@Suite struct ImportTests {
    // MARK: - Scalars

    @Test(arguments: [
        ("Harbor Bridge Retrofit", "Harbor Bridge Retrofit"),
        ("007 Tower", "007 Tower"),
        ("C# tools", "C# tools"),
        ("a:b", "a:b"),
        ("Brücke Süd", "Brücke Süd"),
        ("Øresund – Fase 2", "Øresund – Fase 2"),
        ("東京タワー改修", "東京タワー改修"),
        ("ana@acme.example", "ana@acme.example"),
        ("0042", "\"0042\""),
        ("1e3", "\"1e3\""),
        (".5", "\".5\""),
        ("0x1F", "\"0x1F\""),
        ("-12", "\"-12\""),
        ("2026-01-05", "\"2026-01-05\""),
        ("12:30", "\"12:30\""),
        (".inf", "\".inf\""),
        ("yes", "\"yes\""),
        ("No", "\"No\""),
        ("off", "\"off\""),
        ("null", "\"null\""),
        ("~", "\"~\""),
        ("", "\"\""),
        ("#hash", "\"#hash\""),
        ("@home", "\"@home\""),
        ("- dash", "\"- dash\""),
        ("*star", "\"*star\""),
        ("'single'", "\"'single'\""),
        ("say \"hi\"", "say \"hi\""),
        ("\"quoted\"", "\"\\\"quoted\\\"\""),
        ("key: value", "\"key: value\""),
        ("ends:", "\"ends:\""),
        ("a #b", "\"a #b\""),
        (" lead", "\" lead\""),
        ("trail ", "\"trail \""),
        ("line\nbreak", "\"line\\nbreak\""),
        ("tab\there", "\"tab\\there\""),
        ("nul\u{0}bell\u{7}", "\"nul\\0bell\\a\""),
        ("nel\u{85}ls\u{2028}", "\"nel\\Nls\\L\""),
        ("bom\u{FEFF}", "\"bom\\uFEFF\""),
        ("back\\slash", "back\\slash"),
        ("del\u{7F}", "\"del\\x7F\""),
        ("Invoice \u{202E}fdp.exe", "\"Invoice \\u202Efdp.exe\""),
        ("\u{2067}isolate\u{2069} \u{200F}mark", "\"\\u2067isolate\\u2069 \\u200Fmark\""),
    ])
    func scalarRendering(_ value: String, _ expected: String) {
        #expect(YAMLScalarWriter.render(value) == expected)
    }

    /// Property: every string survives writing and reading back through the manifest loader, scalar for scalar,
    /// as a name, a description and a user's external id.
    @Test func scalarsRoundTripThroughTheLoader() throws {
        var random = SplitMix64(seed: 0xC06A)
        var checked = 0
        for round in 0..<600 {
            let value = trickyString(&random)
            let name = value.allSatisfy(\.isWhitespace) ? "x" + value : value
            let userExternalID = value.isEmpty ? "e" : value
            let yaml = """
                version: 1
                users:
                  - email: u\(round)@acme.example
                    external_id: \(YAMLScalarWriter.render(userExternalID))
                projects:
                  - external_id: p-\(round)
                    name: \(YAMLScalarWriter.render(name))
                    description: \(YAMLScalarWriter.render(value))

                """
            let result = ManifestLoader().load(sources: [SourceFile(path: "t.yaml", bytes: Array(yaml.utf8))])
            let desired = try #require(result.desired, "\(debug(value)) → \(result.diagnostics.map(\.message))\n\(yaml)")
            let project = try #require(desired.projects.first)
            #expect(Array(project.name.unicodeScalars) == Array(name.unicodeScalars), "name \(debug(name))")
            #expect(
                project.description.value.map { Array($0.unicodeScalars) } == Array(value.unicodeScalars),
                "description \(debug(value))")
            #expect(
                desired.users.first?.externalID.value.map { Array($0.unicodeScalars) } == Array(userExternalID.unicodeScalars),
                "user external_id \(debug(userExternalID))")
            checked += 1
        }
        #expect(checked == 600)
    }

    /// Issue 23.5: a bidi control from the app is written as an escape, so the file reads in the order it is
    /// stored, and it loads back as the same character.
    @Test func bidiControlsAreWrittenAsEscapesAndLoadBackUnchanged() throws {
        let name = "Invoice \u{202E}fdp.exe\u{2066}x\u{2069}\u{200E}\u{061C}"
        let yaml = "version: 1\nprojects:\n  - external_id: p-1\n    name: \(YAMLScalarWriter.render(name))\n"
        #expect(!yaml.unicodeScalars.contains(where: OutputEscaping.isBidiControl), "\(yaml)")
        let result = ManifestLoader().load(sources: [SourceFile(path: "t.yaml", bytes: Array(yaml.utf8))])
        let project = try #require(result.desired?.projects.first, "\(result.diagnostics.map(\.message))")
        #expect(Array(project.name.unicodeScalars) == Array(name.unicodeScalars))
    }

    // MARK: - Slugs

    @Test(arguments: [
        ("Harbor Bridge Retrofit", "harbor-bridge-retrofit"),
        ("  Harbor   Bridge!! ", "harbor-bridge"),
        ("Brücke Süd", "brucke-sud"),
        ("Øresund – Fase 2", "oresund-fase-2"),
        ("Straße & Co.", "strasse-co"),
        ("Café Crème", "cafe-creme"),
        ("Łódź Ærø", "lodz-aero"),
        ("007 Tower", "007-tower"),
        ("東京タワー改修", "project"),
        ("東京 Tower 2", "tower-2"),
        ("---", "project"),
        ("He said \"hi\": 'ok' #1", "he-said-hi-ok-1"),
    ])
    func slugs(_ name: String, _ expected: String) {
        #expect(ImportSlug.slug(name) == expected)
    }

    @Test func slugsAreCappedWithoutATrailingDash() {
        let slug = ImportSlug.slug(String(repeating: "ab ", count: 50))
        #expect(slug.count <= ImportSlug.maxSlugLength)
        #expect(!slug.hasSuffix("-"))
    }

    @Test func generatedExternalIDsAreUniqueAgainstExistingAndGeneratedOnes() {
        let observed = ObservedState(
            projects: [
                F.project("prj_1", externalID: "harbor", name: "Harbor"),
                F.project("prj_2", externalID: "harbor-2", name: "Harbor", status: .archived),
                F.project("prj_3", externalID: nil, name: "Harbor"),
                F.project("prj_4", externalID: nil, name: "Harbor!"),
                F.project("prj_5", externalID: nil, name: "harbor"),
                F.project("prj_6", externalID: nil, name: "東京"),
                F.project("prj_7", externalID: nil, name: "大阪"),
            ],
            users: F.users,
            members: [:])
        let imported = makeImport(observed: observed, prefix: nil)
        let generated = Dictionary(uniqueKeysWithValues: imported.projects.compactMap { p in p.adoptID.map { ($0, p.externalID) } })
        #expect(generated == [
            "prj_3": "harbor-3", "prj_4": "harbor-4", "prj_5": "harbor-5", "prj_6": "project", "prj_7": "project-2",
        ])
        #expect(imported.projects.map(\.externalID) == [
            "harbor", "harbor-2", "harbor-3", "harbor-4", "harbor-5", "project", "project-2",
        ])
    }

    @Test func generatedExternalIDsStayWithinThePrefixAndTheLengthLimit() {
        let prefix = String(repeating: "p", count: 64)
        let observed = ObservedState(
            projects: [
                F.project("prj_1", externalID: prefix + "x", name: "X"),
                F.project("prj_2", externalID: nil, name: String(repeating: "very long name ", count: 20)),
                F.project("prj_3", externalID: nil, name: "X"),
            ],
            users: [], members: [:])
        let imported = makeImport(observed: observed, prefix: prefix)
        for project in imported.projects {
            #expect(project.externalID.hasPrefix(prefix))
            #expect(project.externalID.count <= 128)
        }
        #expect(imported.projects.first { $0.adoptID == "prj_3" }?.externalID == prefix + "x-2")
    }

    // MARK: - The imported organization

    @Test func prefixFilteringAndLeftOutCounts() throws {
        let observed = ObservedState(
            projects: [
                F.project("prj_1", externalID: "acme-bridge", name: "Bridge", description: "Steel"),
                F.project("prj_2", externalID: "other-depot", name: "Depot"),
                F.project("prj_3", externalID: "other-yard", name: "Yard", status: .archived),
                F.project("prj_4", externalID: nil, name: "Loose Site"),
                F.project("prj_5", externalID: nil, name: "Gone Site", status: .archived),
                F.project("prj_6", externalID: "acme-old", name: "Old", status: .archived),
                F.project("prj_7", externalID: "acme-with space", name: "Spaced"),
            ],
            users: F.users,
            members: ["prj_1": [F.member("ben", .viewer), F.member("ana", .owner)], "prj_4": []])
        let imported = makeImport(observed: observed, prefix: "acme-")
        #expect(imported.projects.map(\.externalID) == ["acme-bridge", "acme-loose-site", "acme-old"])
        #expect(imported.leftOut.outsidePrefix == 2)
        #expect(imported.leftOut.archivedWithoutExternalID == 1)
        #expect(imported.leftOut.deactivatedUsers == 1)
        #expect(imported.leftOut.unusableExternalIDs == ["acme-with space"])
        #expect(imported.users.map(\.email) == ["ana@acme.example", "ben@acme.example", "cat@acme.example", "dan@acme.example"])

        let text = imported.renderSingle(header: header)
        #expect(text.hasSuffix("""
            projects:
              - external_id: acme-bridge
                name: Bridge
                description: Steel
                members:
                  - email: ana@acme.example
                    role: owner
                  - email: ben@acme.example
                    role: viewer
              - external_id: acme-loose-site
                name: Loose Site
                id: prj_4  # had no external_id in Cogram; the first apply sets the one above
                # members not managed: none in Cogram (a members list here would make it managed)
              - external_id: acme-old
                name: Old
                archived: true

            # Left out of this import:
            # - 1 deactivated user (a manifest may name active users only)
            # - 1 archived project without an external_id (nothing to name it by; apply leaves it alone)
            # - 2 projects outside the prefix "acme-" (not managed by these manifests)
            # - 1 project whose external_id a manifest cannot hold (white space, or longer than 128 characters): "acme-with space"; plan would archive such projects, so change their external ids in Cogram first

            """))
        #expect(text.contains("ownership:\n  external_id_prefix: acme-\n"))
        #expect(imported.summaryLine == "Imported 3 projects (1 archived, 1 adopted with a generated external_id), 4 users; left out: 1 deactivated user, 1 archived project without an external_id, 2 projects outside the prefix \"acme-\", 1 project whose external_id a manifest cannot hold.")
    }

    @Test func headerNamesTheSchemaAndTheSource() {
        let imported = makeImport(observed: ObservedState(), prefix: nil)
        #expect(imported.renderSingle(header: header) == """
            # yaml-language-server: $schema=../schemas/cogram-manifest.v1.schema.json
            #
            # Imported from https://api.cogram.com on 2026-11-29 by `cogramctl import`.
            version: 1
            users: []
            projects: []

            """)
        let stdout = imported.renderSingle(header: ImportHeader(schemaPath: nil, source: "the sandbox", date: "2026-11-29"))
        #expect(stdout.hasPrefix(
            "# Schema: `cogramctl schema manifest > cogram-manifest.v1.schema.json` writes it beside this file;\n"
                + "# editors validate this file once it starts with `# yaml-language-server: $schema=cogram-manifest.v1.schema.json`.\n"))
        #expect(ImportHeader.schemaFile.name == "cogram-manifest.v1.schema.json")
        #expect(ImportHeader.schemaFile.contents.hasPrefix("{\n  \"$schema\""))
        #expect(stdout.contains("# Imported from the sandbox on 2026-11-29"))
        #expect(imported.summaryLine == "Imported 0 projects, 0 users; left out: nothing.")
    }

    @Test func organizationNameWritesTheSectionWithTheSmallestActiveAdminIDAsAnchor() throws {
        let users = [
            F.user("zed", role: .admin), F.user("bob", role: .admin, status: .deactivated), F.user("cy", role: .admin),
            F.user("al", role: .member),
        ]
        let named = makeImport(observed: ObservedState(users: users), prefix: nil, organizationName: "Acme US")
        let text = named.renderSingle(header: header)
        #expect(text.contains("version: 1\norganization:\n  name: Acme US\n  anchor: usr_cy\nusers:\n"))
        let loaded = ManifestLoader().load(sources: [SourceFile(path: "m.yaml", bytes: Array(text.utf8))])
        #expect(loaded.desired?.organization?.anchor == "usr_cy", "\(loaded.diagnostics)")
        let files = named.renderFiles(header: header)
        #expect(files.first?.contents.contains("organization:\n  name: Acme US\n") == true)
        let unnamed = makeImport(observed: ObservedState(users: users), prefix: nil)
        #expect(!unnamed.renderSingle(header: header).contains("organization:"))
    }

    @Test func aKeyVariableIsWrittenAsApiKeyEnv() throws {
        let named = makeImport(
            observed: ObservedState(users: [F.user("cy", role: .admin)]), prefix: nil, organizationName: "Acme UK",
            apiKeyEnv: "COGRAM_API_KEY_ACME_UK")
        let text = named.renderSingle(header: header)
        #expect(text.contains("organization:\n  name: Acme UK\n  anchor: usr_cy\n  api_key_env: COGRAM_API_KEY_ACME_UK\n"), "\(text)")
        let loaded = ManifestLoader().load(sources: [SourceFile(path: "m.yaml", bytes: Array(text.utf8))])
        #expect(loaded.desired?.organization?.apiKeyEnv == "COGRAM_API_KEY_ACME_UK", "\(loaded.diagnostics)")
    }

    /// `members: []` would make an empty membership authoritative, so that a member added later in the app is
    /// removed by the next apply; it is written only on request.
    @Test func anEmptyMembershipIsLeftUnmanagedUnlessAsked() throws {
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A")], users: F.users, members: ["prj_1": []])
        let unmanaged = makeImport(observed: observed, prefix: nil)
        #expect(unmanaged.projects[0].members == nil)
        #expect(unmanaged.projects[0].hasNoMembers)
        let text = unmanaged.renderSingle(header: header)
        #expect(!text.contains("    members:"), "\(text)")
        #expect(text.contains("    # members not managed: none in Cogram (a members list here would make it managed)\n"))

        // A member added in the app after the import is left alone by the next plan.
        let result = ManifestLoader().load(sources: [SourceFile(path: "all.yaml", bytes: Array(text.utf8))])
        let desired = try #require(result.desired, "\(result.diagnostics)")
        var later = observed
        later.members["prj_1"] = [F.member("ben", .editor)]
        #expect(F.plan(desired, later).changes.isEmpty)

        let managed = makeImport(observed: observed, prefix: nil, manageEmptyMembers: true)
        #expect(managed.projects[0].members == [])
        #expect(managed.renderSingle(header: header).contains("    members: []\n"))
        let managedDesired = try #require(
            ManifestLoader().load(sources: [SourceFile(path: "all.yaml", bytes: Array(managed.renderSingle(header: header).utf8))]).desired)
        #expect(F.plan(managedDesired, later).actions == ["remove_member project.acme-a.member.ben@acme.example"])
    }

    @Test func skipUnkeyedLeavesOutProjectsWithoutAnExternalID() {
        let projects = [
            F.project("prj_1", externalID: "acme-a", name: "A"),
            F.project("prj_2", externalID: nil, name: "Loose"),
            F.project("prj_3", externalID: nil, name: "Gone", status: .archived),
        ]
        #expect(importedProjectIDsNeedingMembers(projects: projects, prefix: nil, skipUnkeyed: true) == ["prj_1"])
        #expect(importedProjectIDsNeedingMembers(projects: projects, prefix: nil) == ["prj_1", "prj_2"])
        let imported = makeImport(
            observed: ObservedState(projects: projects, users: F.users, members: ["prj_1": [F.member("ana", .owner)]]),
            prefix: nil, skipUnkeyed: true)
        #expect(imported.projects.map(\.externalID) == ["acme-a"])
        #expect(imported.leftOut.unkeyed == 1)
        #expect(imported.leftOut.archivedWithoutExternalID == 1)
        #expect(imported.summaryLine.hasSuffix("left out: 1 deactivated user, 1 archived project without an external_id, 1 active project without an external_id."))
        #expect(imported.renderSingle(header: header).contains("# - 1 active project without an external_id (--skip-unkeyed; apply leaves such projects alone)\n"))
    }

    @Test func membersWhoAreNotActiveUsersLeaveTheMembershipUnmanaged() {
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A")],
            users: F.users,
            members: ["prj_1": [F.member("ana", .owner), F.member("eve", .editor)]])
        let imported = makeImport(observed: observed, prefix: nil)
        #expect(imported.projects[0].members == nil)
        #expect(imported.projects[0].unlistableMembers == ["eve@acme.example"])
        #expect(imported.leftOut.unmanagedMemberships == 1)
        let text = imported.renderSingle(header: header)
        #expect(text.contains("    # members not managed: eve@acme.example is a member but not an active user\n"))
        #expect(text.contains("# Members not managed on 1 project with members who are not active users; see the comments there.\n"))
    }

    @Test func sameOrganizationInAnyOrderGivesTheSameBytes() {
        let observed = sampleOrganization()
        let expected = makeImport(observed: observed, prefix: nil)
        let single = expected.renderSingle(header: header)
        let files = expected.renderFiles(header: header)
        var random = SplitMix64(seed: 7)
        for _ in 0..<20 {
            var shuffled = observed
            shuffled.projects.shuffle(using: &random)
            shuffled.users.shuffle(using: &random)
            for key in shuffled.members.keys { shuffled.members[key]?.shuffle(using: &random) }
            let imported = makeImport(observed: shuffled, prefix: nil)
            #expect(imported.renderSingle(header: header) == single)
            #expect(imported.renderFiles(header: header) == files)
        }
    }

    @Test func perProjectFilesHaveSafeUniqueNamesAndLoadAsOneSet() throws {
        let observed = ObservedState(
            projects: [
                F.project("prj_1", externalID: "a/b", name: "Slash"),
                F.project("prj_2", externalID: "a_b", name: "Underscore"),
                F.project("prj_3", externalID: "A_B", name: "Upper"),
                F.project("prj_4", externalID: ".hidden", name: "Dot"),
                F.project("prj_5", externalID: "organization", name: "Org"),
                F.project("prj_6", externalID: "Brücke", name: "Brücke Süd"),
            ],
            users: F.users, members: [:])
        let imported = makeImport(observed: observed, prefix: nil)
        let files = imported.renderFiles(header: header)
        #expect(files.map(\.name) == [
            "organization.yaml", "_hidden.yaml", "A_B.yaml", "Br_cke.yaml", "a_b-2.yaml", "a_b-3.yaml", "organization-2.yaml",
        ])
        let result = ManifestLoader().load(sources: files.map { SourceFile(path: $0.name, bytes: Array($0.contents.utf8)) })
        let desired = try #require(result.desired, "\(result.diagnostics.map(\.message))")
        #expect(desired.projects.count == 6)
    }

    /// The promise of `import`: planning its output against the same organization shows only the adoptions.
    @Test func planOnTheImportShowsOnlyAdoptions() throws {
        let observed = sampleOrganization()
        for prefix in [nil, "nw-"] {
            let imported = makeImport(observed: observed, prefix: prefix)
            for sources in [
                [SourceFile(path: "all.yaml", bytes: Array(imported.renderSingle(header: header).utf8))],
                imported.renderFiles(header: header).map { SourceFile(path: $0.name, bytes: Array($0.contents.utf8)) },
            ] {
                let result = ManifestLoader().load(sources: sources)
                let desired = try #require(result.desired, "\(result.diagnostics.map(\.message))")
                let plan = F.plan(desired, observed)
                #expect(plan.errors.isEmpty)
                #expect(plan.warnings.isEmpty)
                let adopted = imported.projects.filter { $0.adoptID != nil }
                #expect(plan.changes.count == adopted.count)
                for change in plan.changes {
                    #expect(change.action == .update)
                    #expect(change.before?.externalID == .null)
                    #expect(change.after.map { $0.name == nil && $0.description.isAbsent && $0.status == nil } == true)
                }
                #expect(Set(plan.changes.map(\.address.description)) == Set(adopted.map { "project.\($0.externalID)" }))

                // After the adoptions are applied, nothing is left to do.
                var applied = observed
                for project in adopted {
                    let index = applied.projects.firstIndex { $0.id == project.adoptID }!
                    applied.projects[index].externalID = project.externalID
                }
                #expect(F.plan(desired, applied).changes.isEmpty)
            }
        }
    }

    // MARK: - Support

    private var header: ImportHeader {
        ImportHeader(schemaPath: "../schemas/cogram-manifest.v1.schema.json", source: "https://api.cogram.com", date: "2026-11-29")
    }

    /// Tricky names, descriptions, duplicates, archived and unkeyed projects, members everywhere.
    private func sampleOrganization() -> ObservedState {
        let names = [
            "Harbor Bridge", "Harbor Bridge", "007 Tower", "yes", "null", "#hash", " padded ", "He said \"hi\"",
            "it's: fine", "Brücke Süd", "Øresund – Fase 2", "東京タワー改修", "東京タワー改修", "0042", "1e3", "a #b",
        ]
        var projects: [Project] = []
        var members: [String: [Member]] = [:]
        for (index, name) in names.enumerated() {
            let id = "prj_\(String(format: "%02d", index))"
            let externalID: String? = switch index % 4 {
            case 0: nil
            case 1: "nw-\(index)"
            case 2: "x-\(index)"
            default: index % 8 == 3 ? nil : "nw-\(index)"
            }
            let status: ProjectStatus = index % 5 == 4 ? .archived : .active
            let description: String? = index % 3 == 0 ? nil : "Line \(index): \"quoted\"\nsecond line"
            projects.append(F.project(id, externalID: externalID, name: name, description: description, status: status))
            members[id] = [F.member("ana", .owner), F.member(["ben", "cat", "dan"][index % 3], [.editor, .viewer][index % 2])]
        }
        return ObservedState(projects: projects, users: F.users + [F.user("Zed", externalID: "0042")], members: members)
    }
}

/// Pieces that stress YAML: indicators, comment and mapping markers, quotes, escapes, breaks, control
/// characters, look-alikes of null, booleans and numbers, and non-ASCII text.
private let trickyPieces: [String] = [
    " ", "  ", "\t", ":", ": ", " #", "#", "-", "- ", "?", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"",
    "%", "@", "`", "\\", "\n", "\r", "\r\n", "\u{0}", "\u{7}", "\u{1B}", "\u{7F}", "\u{85}", "\u{A0}", "\u{2028}",
    "\u{2029}", "\u{FEFF}", "\u{FFFE}", "\u{1F600}", "é", "e\u{301}", "ü", "ø", "東京", "–", "yes", "no", "null", "~",
    "true", "0042", "1e3", ".5", "0x1F", "007", "...", "---", "<<", "=", "a", "Tower", "x", "1", ".inf", "\\n", "'\"",
]

private func trickyString(_ random: inout SplitMix64) -> String {
    let count = Int(random.next() % 6)
    var out = ""
    for _ in 0..<count { out += trickyPieces[Int(random.next() % UInt64(trickyPieces.count))] }
    return out
}

private func debug(_ value: String) -> String {
    value.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
}
