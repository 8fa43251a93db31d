import CogramManifest
import CogramTestSupport
import Foundation
import Testing

@Suite struct OffboardingTests {
    static let today = CalendarDay(parsing: "2026-12-06")!

    static let org = """
        version: 1
        organization:
          name: Acme
        users:
          - email: leo@x.example   # leaving
            role: member
          - email: ana@x.example
        groups:
          - name: crew
            members:
              - {email: ana@x.example, role: owner}
              - email: leo@x.example
                role: viewer

        """
    static let project = """
        version: 1
        projects:
          - external_id: p
            name: P
            members:
              - group: crew
              # Leo leads the site
              - email: Leo@x.example
                role: editor
          - external_id: q
            name: Q
            members:
              - email: leo@x.example
                role: owner

        """

    func sources(_ project: String = project) -> [SourceFile] {
        [SourceFile(path: "org.yaml", bytes: Array(Self.org.utf8)), SourceFile(path: "p.yaml", bytes: Array(project.utf8))]
    }

    @Test func removesEveryEntryAndAddsTheOffboardedEntry() throws {
        let outcome = try Offboarding.prepare(sources: sources(), emails: ["leo@x.example"], today: Self.today).get()
        #expect(outcome.offboarded == ["leo@x.example"])
        #expect(outcome.removedEntries.map { "\($0.file):\($0.line)" } == ["org.yaml:5", "org.yaml:12", "p.yaml:8", "p.yaml:13"])
        #expect(outcome.files.map(\.path) == ["org.yaml", "p.yaml"])
        #expect(String(decoding: outcome.files[0].after, as: UTF8.self) == """
            version: 1
            organization:
              name: Acme
            users:
              - email: ana@x.example
            groups:
              - name: crew
                members:
                  - {email: ana@x.example, role: owner}
            offboarded:
              - email: leo@x.example
                date: 2026-12-06

            """)
        #expect(String(decoding: outcome.files[1].after, as: UTF8.self) == """
            version: 1
            projects:
              - external_id: p
                name: P
                members:
                  - group: crew
              - external_id: q
                name: Q
                members: []

            """)
        #expect(outcome.diff.hasPrefix("--- a/org.yaml\n+++ b/org.yaml\n@@ "))
        #expect(outcome.diff.contains("-  - email: leo@x.example   # leaving\n"))
        #expect(outcome.diff.contains("+    date: 2026-12-06\n"))
    }

    @Test func anAlreadyOffboardedPersonIsNothingToDoAndAnUnknownEmailIsStillAdded() throws {
        let once = try Offboarding.prepare(sources: sources(), emails: ["leo@x.example"], today: Self.today).get()
        let again = try Offboarding.prepare(
            sources: once.files.map { SourceFile(path: $0.path, bytes: $0.after) }, emails: ["LEO@x.example"], today: Self.today).get()
        #expect(again.nothingToDo)
        #expect(again.alreadyOffboarded == ["LEO@x.example"])
        let unknown = try Offboarding.prepare(sources: once.files.map { SourceFile(path: $0.path, bytes: $0.after) },
            emails: ["zed@x.example"], today: Self.today).get()
        #expect(unknown.files.map(\.path) == ["org.yaml"])
        #expect(String(decoding: unknown.files[0].after, as: UTF8.self).hasSuffix(
            "    date: 2026-12-06\n  - email: zed@x.example\n    date: 2026-12-06\n"))
    }

    @Test func aResultThatViolatesAPolicyIsRefusedNamingTheProject() {
        let policies = Self.project + "policies:\n  min_owners: 1\n"
        guard case .failure(let failure) = Offboarding.prepare(sources: sources(policies), emails: ["leo@x.example"], today: Self.today) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(failure.message.contains("would not load"))
        #expect(failure.diagnostics.map(\.message) == ["project 'q' has 0 owners; policies.min_owners requires at least 1"])
    }

    @Test func anEntryReachedThroughAnAliasIsRefusedWithItsLocation() {
        let aliased = "version: 1\nx-crew: &crew\n  - {email: leo@x.example, role: owner}\nprojects:\n  - external_id: p\n    name: P\n    members: *crew\n"
        guard case .failure(let failure) = Offboarding.prepare(sources: sources(aliased), emails: ["leo@x.example"], today: Self.today) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(failure.diagnostics.first?.location?.description == "p.yaml:7:5")
    }

    @Test func writesAtomicallyKeepingTheModeAndNeverThroughASymlink() throws {
        let directory = try makeTemporaryDirectory("cogram-edit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path + "/m.yaml"
        try "version: 1\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o640)
        try ManifestFileWriter.replace(path, with: Array("version: 1\nusers: []\n".utf8), root: directory.path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "version: 1\nusers: []\n")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        let link = directory.path + "/link.yaml"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(throws: EditError.self) { try ManifestFileWriter.replace(link, with: [], root: nil) }
        #expect(throws: EditError.self) { try ManifestFileWriter.create(path, with: [], root: nil) }
        #expect(throws: EditError.self) { try ManifestFileWriter.replace(path, with: [], root: directory.path + "/elsewhere") }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "version: 1\nusers: []\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["link.yaml", "m.yaml"])
    }

    @Test func aBatchIsWrittenWholeOrNotAtAll() throws {
        let directory = try makeTemporaryDirectory("cogram-edit-batch")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(atPath: directory.path + "/sub", withIntermediateDirectories: false)
        let paths = [directory.path + "/a.yaml", directory.path + "/sub/b.yaml"]
        for path in paths { try "version: 1\n".write(toFile: path, atomically: false, encoding: .utf8) }
        func edit(_ path: String, _ text: String) -> FileEdit { FileEdit(path: path, before: [], after: Array(text.utf8)) }

        try ManifestFileWriter.writeAll(
            replacing: paths.map { edit($0, "version: 1\nusers: []\n") }, creating: [edit(directory.path + "/sub/new.yaml", "version: 1\n")],
            root: directory.path)
        for path in paths { #expect(try String(contentsOfFile: path, encoding: .utf8) == "version: 1\nusers: []\n") }
        #expect(FileManager.default.fileExists(atPath: directory.path + "/sub/new.yaml"))

        // The last file goes through a symlink: refused before any rename, and the new file of this call removed.
        let link = directory.path + "/link.yaml"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: paths[0])
        #expect(throws: EditError.self) {
            try ManifestFileWriter.writeAll(
                replacing: paths.map { edit($0, "changed\n") } + [edit(link, "changed\n")],
                creating: [edit(directory.path + "/other.yaml", "version: 1\n")], root: directory.path)
        }
        for path in paths { #expect(try String(contentsOfFile: path, encoding: .utf8) == "version: 1\nusers: []\n") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["a.yaml", "link.yaml", "sub"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/sub").sorted() == ["b.yaml", "new.yaml"])
    }
}
