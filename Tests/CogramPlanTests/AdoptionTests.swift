import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// `drift --adopt`: each kind written where the manifests say otherwise, every other byte left alone, and the
/// edited manifests planned again with no change for what was adopted.
@Suite struct AdoptionTests {
    static let header = "# Acme, kept by hand\nversion: 1\n"

    static func observed(_ projects: [Project], members: [String: [Member]] = [:]) -> ObservedState {
        ObservedState(projects: projects, users: F.users, members: members)
    }

    static func adopt(
        _ files: [(String, String)], _ observed: ObservedState, settings: AdoptionSettings = AdoptionSettings(paths: [])
    ) throws -> AdoptionOutcome {
        let sources = files.map { SourceFile(path: $0.0, bytes: Array($0.1.utf8)) }
        return try Adoption.prepare(sources: sources, observed: observed, options: F.options(), settings: settings).get()
    }

    static func adopt(_ text: String, _ observed: ObservedState) throws -> (text: String, outcome: AdoptionOutcome) {
        let outcome = try adopt([("org.yaml", text)], observed)
        let after = outcome.files.first.map { String(decoding: $0.after, as: UTF8.self) } ?? text
        return (after, outcome)
    }

    /// The plan of the edited manifests against the same Cogram: what `plan` would show after `--adopt`.
    static func planAfter(_ files: [(String, String)], _ outcome: AdoptionOutcome, _ observed: ObservedState) -> Plan {
        var sources = files.map { SourceFile(path: $0.0, bytes: Array($0.1.utf8)) }
        for file in outcome.files { sources[sources.firstIndex { $0.path == file.path }!] = SourceFile(path: file.path, bytes: file.after) }
        sources += outcome.newFiles.map { SourceFile(path: $0.path, bytes: $0.after) }
        let loaded = ManifestLoader(today: CalendarDay(F.fixedNow)).load(sources: sources)
        #expect(loaded.isValid, "\(loaded.diagnostics)")
        return makePlan(desired: loaded.desired ?? DesiredState(), observed: observed, options: F.options())
    }

    static let project = header + """
        projects:
          - external_id: acme-x   # the site
            name: 'Old name'
            description: "Old text"
            members:
              # the lead
              - email: ana@acme.example   # since 2020
                role: owner
              - email: ben@acme.example
                role: editor

        """

    @Test func aChangedNameAndDescriptionAreReplacedWhereWrittenInTheirQuoting() throws {
        let observed = Self.observed(
            [F.project("prj_1", externalID: "acme-x", name: "New name", description: nil)],
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .editor)]])
        let (text, outcome) = try Self.adopt(Self.project, observed)
        #expect(text == Self.project
            .replacingOccurrences(of: "name: 'Old name'", with: "name: 'New name'")
            .replacingOccurrences(of: "description: \"Old text\"", with: "description: null"))
        #expect(outcome.adopted.map(\.field) == ["description", "name"])
        #expect(outcome.remaining.isEmpty)
        #expect(Self.planAfter([("org.yaml", Self.project)], outcome, observed).changes.isEmpty)
        #expect(outcome.diff.contains("-    name: 'Old name'\n-    description: \"Old text\"\n+    name: 'New name'\n+    description: null\n"))
    }

    @Test func aRoleChangedInTheAppIsReplacedInTheDirectEntry() throws {
        let observed = Self.observed(
            [F.project("prj_1", externalID: "acme-x", name: "Old name", description: "Old text")],
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .viewer)]])
        let (text, outcome) = try Self.adopt(Self.project, observed)
        #expect(text == Self.project.replacingOccurrences(of: "role: editor", with: "role: viewer"))
        #expect(outcome.adopted.map(\.kind) == [.memberRole])
        #expect(Self.planAfter([("org.yaml", Self.project)], outcome, observed).changes.isEmpty)
    }

    @Test func aMemberAddedInTheAppIsAppendedAsADirectEntry() throws {
        let observed = Self.observed(
            [F.project("prj_1", externalID: "acme-x", name: "Old name", description: "Old text")],
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .editor), F.member("cat", .viewer)]])
        let (text, outcome) = try Self.adopt(Self.project, observed)
        #expect(text == Self.project.replacingOccurrences(
            of: "role: editor\n", with: "role: editor\n      - email: cat@acme.example\n        role: viewer\n"))
        #expect(outcome.adopted.map(\.kind) == [.memberAdded])
        #expect(Self.planAfter([("org.yaml", Self.project)], outcome, observed).changes.isEmpty)
    }

    @Test func aMemberRemovedInTheAppLosesItsDirectEntryWithItsComment() throws {
        let observed = Self.observed(
            [F.project("prj_1", externalID: "acme-x", name: "Old name", description: "Old text")],
            members: ["prj_1": [F.member("ben", .owner)]])
        let changed = Self.project.replacingOccurrences(of: "role: editor", with: "role: owner")
        let (text, outcome) = try Self.adopt(changed, observed)
        #expect(text == changed.replacingOccurrences(of: "      # the lead\n      - email: ana@acme.example   # since 2020\n        role: owner\n", with: ""))
        #expect(outcome.adopted.map(\.kind) == [.memberRemoved])
        #expect(Self.planAfter([("org.yaml", changed)], outcome, observed).changes.isEmpty)
    }

    @Test func aMemberListReplacedInTheAppIsRefilledBeforeItIsEmptied() throws {
        let text = Self.header + "projects:\n  - external_id: acme-x\n    name: X\n    members:\n      - email: ana@acme.example\n        role: owner\n"
        let observed = Self.observed([F.project("prj_1", externalID: "acme-x", name: "X")], members: ["prj_1": [F.member("ben", .owner)]])
        let (after, outcome) = try Self.adopt(text, observed)
        #expect(after == Self.header + "projects:\n  - external_id: acme-x\n    name: X\n    members:\n      - email: ben@acme.example\n        role: owner\n")
        #expect(Set(outcome.adopted.map(\.kind)) == [.memberAdded, .memberRemoved])
        #expect(outcome.remaining.isEmpty)
    }

    @Test func aProjectArchivedInTheAppGetsArchivedTrueAndOneRestoredGetsFalse() throws {
        let text = Self.header + "projects:\n  - external_id: acme-x\n    name: X   # kept\n    members: []\n  - external_id: acme-y\n    name: Y\n    archived: true\n    members: []\n"
        let observed = Self.observed([
            F.project("prj_1", externalID: "acme-x", name: "X", status: .archived),
            F.project("prj_2", externalID: "acme-y", name: "Y"),
        ], members: ["prj_1": [], "prj_2": []])
        let (after, outcome) = try Self.adopt(text, observed)
        #expect(after == Self.header + "projects:\n  - external_id: acme-x\n    name: X   # kept\n    archived: true\n    members: []\n  - external_id: acme-y\n    name: Y\n    archived: false\n    members: []\n")
        #expect(outcome.adopted.map(\.address) == ["project.acme-x", "project.acme-y"])
        #expect(Self.planAfter([("org.yaml", text)], outcome, observed).changes.isEmpty)
    }

    @Test func aProjectRestoredInTheAppHasItsMemberListAdoptedToo() throws {
        // Archived, its member list was not managed; restored, it is, and the next pass adopts its members.
        let text = Self.header + "projects:\n  - external_id: acme-y\n    name: Y\n    archived: true\n    members:\n      - email: ana@acme.example\n        role: owner\n"
        let observed = Self.observed([F.project("prj_2", externalID: "acme-y", name: "Y")],
                                     members: ["prj_2": [F.member("ana", .owner), F.member("cat", .editor)]])
        let (after, outcome) = try Self.adopt(text, observed)
        #expect(after.hasSuffix("    archived: false\n    members:\n      - email: ana@acme.example\n        role: owner\n      - email: cat@acme.example\n        role: editor\n"))
        #expect(outcome.remaining.isEmpty)
        #expect(Self.planAfter([("org.yaml", text)], outcome, observed).changes.isEmpty)
    }

    @Test func anOrganizationRoleIsReplacedInUsers() throws {
        let text = Self.header + "users:\n  - email: ana@acme.example\n    role: admin\n  - email: ben@acme.example   # ops\n    role: \"admin\"\n"
        let (after, outcome) = try Self.adopt(text, Self.observed([]))
        #expect(after == text.replacingOccurrences(of: "role: \"admin\"", with: "role: \"member\""))
        #expect(outcome.adopted.map(\.kind) == [.userRole])
        #expect(Self.planAfter([("org.yaml", text)], outcome, Self.observed([])).changes.isEmpty)
    }

    @Test func aProjectCreatedInTheAppIsAppendedToTheFirstFileWhenFilesHoldSeveralProjects() throws {
        let text = Self.header + "ownership:\n  external_id_prefix: acme-\nprojects:\n  - external_id: acme-a\n    name: A\n  - external_id: acme-b\n    name: B\n"
        let observed = Self.observed([
            F.project("prj_1", externalID: "acme-a", name: "A"), F.project("prj_2", externalID: "acme-b", name: "B"),
            F.project("prj_3", externalID: "acme-new", name: "true", description: "Made in the app"),
        ], members: ["prj_3": [F.member("cat", .editor), F.member("ana", .owner)]])
        let (after, outcome) = try Self.adopt(text, observed)
        #expect(after == text + """
              - external_id: acme-new
                name: "true"
                description: Made in the app
                members:
                  - email: ana@acme.example
                    role: owner
                  - email: cat@acme.example
                    role: editor

            """)
        #expect(outcome.adopted.map(\.kind) == [.projectUnlisted])
        #expect(outcome.newFiles.isEmpty)
        #expect(Self.planAfter([("org.yaml", text)], outcome, observed).changes.isEmpty)
    }

    @Test func aProjectCreatedInTheAppGetsAFileOfItsOwnInTheOneProjectPerFileLayout() throws {
        let folder = try makeTemporaryDirectory("cogramctl-adopt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let org = Self.header + "organization:\n  name: Acme\nownership:\n  external_id_prefix: acme-\n"
        let one = "version: 1\nprojects:\n  - external_id: acme-a\n    name: A\n"
        let files = [(folder.path + "/organization.yaml", org), (folder.path + "/acme-a.yaml", one)]
        for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        // A file of that name exists already (in another case, as on a case-insensitive file system): the new one
        // takes the next name.
        try "".write(toFile: folder.path + "/ACME-NEW.yaml", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: folder.path + "/ACME-NEW.yaml") }
        let observed = Self.observed([
            F.project("prj_1", externalID: "acme-a", name: "A"), F.project("prj_3", externalID: "acme-new", name: "New"),
        ], members: ["prj_3": [F.member("eve", .owner)]])
        let outcome = try Self.adopt(files, observed, settings: AdoptionSettings(paths: [folder.path]))
        #expect(outcome.files.isEmpty)
        let created = try #require(outcome.newFiles.first)
        #expect(created.path == folder.path + "/acme-new-2.yaml")
        // Eve is deactivated: a manifest may not name her, so the member list is left unmanaged.
        #expect(String(decoding: created.after, as: UTF8.self) == """
            # Adopted from Cogram by `cogramctl drift --adopt` on 2026-02-28: created in the app.
            version: 1
            projects:
              - external_id: acme-new
                name: New

            """)
        #expect(outcome.diff.contains("--- /dev/null\n+++ b/\(created.path)\n"))
        try outcome.write()
        #expect(FileManager.default.contents(atPath: created.path) == Data(created.after))
        // Written once: a second write would overwrite, which the writer refuses.
        #expect(throws: EditError.self) { try outcome.write() }
    }

    @Test func adoptIntoMustBeInsideTheRootAndLoadedAgain() throws {
        let folder = try makeTemporaryDirectory("cogramctl-adopt-into")
        defer { try? FileManager.default.removeItem(at: folder) }
        let org = Self.header + "organization:\n  name: Acme\nownership:\n  external_id_prefix: acme-\nprojects: []\n"
        let files = [(folder.path + "/org.yaml", org)]
        try org.write(toFile: files[0].0, atomically: true, encoding: .utf8)
        let observed = Self.observed([F.project("prj_3", externalID: "acme-new", name: "New")], members: ["prj_3": []])
        let sources = files.map { SourceFile(path: $0.0, bytes: Array($0.1.utf8)) }
        func prepare(_ into: String) -> Result<AdoptionOutcome, EditFailure> {
            Adoption.prepare(sources: sources, observed: observed, options: F.options(), settings: AdoptionSettings(into: into, paths: [folder.path]))
        }
        if case .failure(let failure) = prepare(folder.deletingLastPathComponent().path + "/elsewhere.yaml") {
            #expect(failure.message.contains("outside the organization's root"))
        } else {
            Issue.record("a file outside the root was accepted")
        }
        if case .failure(let failure) = prepare(folder.path + "/notes.txt") {
            #expect(failure.message.contains(".yaml or .yml"))
        } else {
            Issue.record("a file that loading would skip was accepted")
        }
        let outcome = try prepare(folder.path + "/sub/new.yaml").get()
        #expect(outcome.newFiles.map(\.path) == [folder.path + "/sub/new.yaml"])
        #expect(String(decoding: outcome.newFiles[0].after, as: UTF8.self).hasSuffix("projects:\n  - external_id: acme-new\n    name: New\n"))
        // Into the loaded file: `projects: []` becomes a block list.
        let into = try prepare(files[0].0).get()
        #expect(into.newFiles.isEmpty)
        #expect(String(decoding: into.files[0].after, as: UTF8.self).hasSuffix("projects:\n  - external_id: acme-new\n    name: New\n"))
    }

    @Test func aRoleAGroupGrantsIsNotAdoptableAndStaysListed() throws {
        let text = Self.header + """
            groups:
              - name: crew
                members:
                  - email: ben@acme.example
                    role: editor
            projects:
              - external_id: acme-x
                name: X
                members:
                  - email: ana@acme.example
                    role: owner
                  - group: crew

            """
        let observed = Self.observed([F.project("prj_1", externalID: "acme-x", name: "Renamed")],
                                     members: ["prj_1": [F.member("ana", .owner), F.member("ben", .viewer)]])
        let (after, outcome) = try Self.adopt(text, observed)
        #expect(after == text.replacingOccurrences(of: "    name: X\n", with: "    name: Renamed\n"))
        #expect(outcome.adopted.map(\.field) == ["name"])
        let left = try #require(outcome.remaining.first)
        #expect(outcome.remaining.count == 1)
        #expect(left.kind == .memberRole && !left.adoptable && left.note?.contains("group crew") == true)
    }

    @Test func accessThatExpiredOrWasOffboardedIsNeverWrittenBack() throws {
        let text = Self.header + """
            offboarded:
              - email: dan@acme.example
            projects:
              - external_id: acme-x
                name: X
                members:
                  - email: ana@acme.example
                    role: owner
                  - email: ben@acme.example
                    role: editor
                    expires: 2026-01-31

            """
        let observed = Self.observed([F.project("prj_1", externalID: "acme-x", name: "X")],
                                     members: ["prj_1": [F.member("ana", .owner), F.member("ben", .editor), F.member("dan", .viewer)]])
        let (after, outcome) = try Self.adopt(text, observed)
        #expect(after == text)
        #expect(outcome.nothingToDo && outcome.adopted.isEmpty)
        #expect(outcome.remaining.count == 2)
        #expect(outcome.remaining.allSatisfy { !$0.adoptable })
        #expect(outcome.remaining.contains { $0.note?.contains("offboarded") == true })
        #expect(outcome.remaining.contains { $0.note?.contains("expire") == true })
    }

    @Test func crlfLineEndsAreKeptAndAddedLinesUseThem() throws {
        let text = (Self.header + "projects:\n  - external_id: acme-x\n    name: X\n    members:\n      - email: ana@acme.example\n        role: owner\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
        let observed = Self.observed([F.project("prj_1", externalID: "acme-x", name: "X", status: .archived)],
                                     members: ["prj_1": [F.member("ana", .owner), F.member("ben", .viewer)]])
        let (after, outcome) = try Self.adopt(text, observed)
        #expect(outcome.remaining.isEmpty, "\(outcome.remaining)")
        #expect(!after.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(after.contains("    name: X\r\n    archived: true\r\n"))
    }

    @Test func anEntryReachedThroughAnAnchorIsListedWithTheReasonAndTheRestIsAdopted() throws {
        let text = Self.header + """
            projects:
              - external_id: acme-x
                name: X
                members: &crew
                  - email: ana@acme.example
                    role: owner
              - external_id: acme-y
                name: Y
                members: *crew

            """
        let observed = Self.observed([
            F.project("prj_1", externalID: "acme-x", name: "X"), F.project("prj_2", externalID: "acme-y", name: "Y2"),
        ], members: ["prj_1": [F.member("ana", .editor)], "prj_2": [F.member("ana", .owner)]])
        let (after, outcome) = try Self.adopt(text, observed)
        #expect(after == text.replacingOccurrences(of: "name: Y\n", with: "name: Y2\n"))
        let left = try #require(outcome.remaining.first)
        #expect(outcome.remaining.count == 1)
        #expect(left.kind == .memberRole && !left.adoptable)
        #expect(left.note?.contains("anchor") == true, "\(left.note ?? "")")
    }

    @Test func anEditThatBreaksAPolicyIsRefusedAndNothingIsProposed() {
        let text = Self.header + "policies:\n  min_owners: 1\nprojects:\n  - external_id: acme-x\n    name: X\n    members:\n      - email: ana@acme.example\n        role: owner\n"
        let observed = Self.observed([F.project("prj_1", externalID: "acme-x", name: "X")], members: ["prj_1": [F.member("ana", .viewer)]])
        let result = Adoption.prepare(
            sources: [SourceFile(path: "org.yaml", bytes: Array(text.utf8))], observed: observed, options: F.options(),
            settings: AdoptionSettings(paths: []))
        guard case .failure(let failure) = result else {
            Issue.record("a policy violation was proposed")
            return
        }
        #expect(failure.message.contains("would not load cleanly"))
        #expect(failure.diagnostics.contains { $0.message.contains("min_owners") })
    }
}
