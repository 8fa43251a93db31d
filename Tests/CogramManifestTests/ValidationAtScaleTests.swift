import CogramManifest
import Testing

@Suite struct LineIndexTests {
    @Test func linesEndAtLFCRLFAndLoneCR() {
        let source = SourceFile(path: "a.yaml", bytes: Array("one\ntwo\r\nthree\rfour".utf8))
        let index = LineIndex(source)
        #expect(index.lineCount == 4)
        #expect((1...4).map { index.line($0) } == ["one", "two", "three", "four"])
        #expect(index.line(0) == nil)
        #expect(index.line(5) == nil)
    }

    @Test func finalBreakStartsAnEmptyLineAndTheBOMIsNotText() {
        let index = LineIndex(SourceFile(path: "a.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array("version: 1\n".utf8)))
        #expect(index.line(1) == "version: 1")
        #expect(index.line(2) == "")
        #expect(index.line(3) == nil)
        #expect(SourceFile(path: "a.yaml", bytes: Array("x\n\ny".utf8)).line(3) == "y")
    }

    /// The renderer shows the right source line for diagnostics far into a large file.
    @Test func rendererShowsTheLineOfTheLastOfManyDiagnostics() {
        var text = "version: 1\nprojects:\n"
        for i in 0..<3000 { text += "  - external_id: p-\(i)\n    name: P\n    nmae: x\(i)\n" }
        let result = load(text)
        #expect(result.diagnostics.count == 3000)
        let rendered = DiagnosticRenderer(sources: result.sources).render(result.diagnostics)
        #expect(rendered.hasSuffix("test.yaml:9002:5: error: unknown key 'nmae' in a project; did you mean 'name'?\n    nmae: x2999\n    ^\n"))
    }
}

@Suite struct DiagnosticCapTests {
    @Test func omittedCountsEachSeverity() {
        let location = SourceLocation(file: "a.yaml", line: 1, column: 1)
        let rest = [Diagnostic(.error, at: location, "e"), Diagnostic(.error, at: location, "e"), Diagnostic(.warning, at: location, "w")]
        #expect(DiagnosticRenderer.omitted(rest[...]) == "… and 2 more errors and 1 more warning not shown")
        #expect(DiagnosticRenderer.omitted(rest[2...]) == "… and 1 more warning not shown")
    }
}

@Suite struct DiagnosticWordingTests {
    @Test func unknownTopLevelKeySaysWhere() {
        #expect(messages("version: 1\nproject: []\n") == ["2:1: unknown key 'project' at the top level of a manifest; did you mean 'projects'?"])
    }

    @Test func misindentedListItemGetsAnIndentationHint() {
        let yaml = "version: 1\nprojects:\n  - external_id: a\n    name: A\n - external_id: b\n   name: B\n"
        #expect(messages(yaml) == [
            "5:2: invalid YAML: did not find expected key (while parsing a block mapping at line 1, column 1); check the indentation: the keys of that mapping start at column 1, this line at column 2",
        ])
    }

    @Test func misindentedKeyGetsAnIndentationHint() {
        let yaml = "version: 1\nprojects:\n  - external_id: a\n    name: A\n   description: D\n"
        #expect(messages(yaml).first?.contains("check the indentation") == true, "\(messages(yaml))")
    }

    @Test func lineAtTheListsColumnWithoutADashSaysSo() {
        let yaml = "version: 1\nprojects:\n  - external_id: p\n    name: P\n    members:\n      - email: a@x.example\n        role: owner\n      email: b@x.example\n"
        #expect(messages(yaml) == [
            "8:7: invalid YAML: did not find expected '-' indicator (while parsing a block collection at line 6, column 7); this line is at the column of that list's items (7) but does not start with '- ': start it with '- ', or indent it to belong to the item above",
        ])
    }

    @Test func listItemAtTheMappingsColumnSaysSo() {
        let yaml = "version: 1\nprojects:\n  - external_id: p\n    name: P\n    - x\n"
        #expect(messages(yaml) == [
            "5:5: invalid YAML: did not find expected key (while parsing a block mapping at line 3, column 5); this line is at the column of that mapping's keys (5) but is not a 'key: value': a list belongs under a key, indented below it",
        ])
    }
}

@Suite struct DuplicatesDespiteOtherErrorsTests {
    @Test func duplicateMemberIsFoundWhenTheFirstEntryHasABadRole() {
        let yaml = """
            version: 1
            projects:
              - external_id: a
                name: A
                members:
                  - {email: ana@x.example, role: onwer}
                  - {email: ana@x.example, role: owner}
            """
        #expect(messages(yaml) == [
            "6:38: invalid role 'onwer'; expected one of owner, editor, viewer; did you mean 'owner'?",
            "7:9: duplicate member 'ana@x.example' in project 'a'; first listed at test.yaml:6:9",
        ])
    }

    @Test func duplicateMemberInAProjectWithABadExternalID() {
        let yaml = "version: 1\nprojects:\n  - external_id: 'a b'\n    name: A\n    members:\n      - {email: ana@x.example, role: owner}\n      - {email: ana@x.example, role: owner}\n"
        #expect(messages(yaml).contains("7:9: duplicate member 'ana@x.example' in this project; first listed at test.yaml:6:9"))
    }

    @Test func duplicateExternalIDIsFoundWhenTheFirstProjectHasOtherErrors() {
        let yaml = "version: 1\nprojects:\n  - external_id: a\n    name: ''\n  - external_id: a\n    name: A\n"
        #expect(messages(yaml) == [
            "4:11: name must not be empty",
            "5:5: duplicate project external_id 'a'; already used as external_id at test.yaml:3:5",
        ])
    }
}

/// Member emails take a path that checks their bytes in place; these are the rules the `String` check applies.
@Suite struct MemberEmailBytesTests {
    @Test func theByteCheckGivesTheRulesOfTheStringCheck() {
        let emails = [
            "a@.example", "a@x.example.", "a@x..example", "@x.example", "a@example", "a b@x.example", "a@b@x.example",
            "Ana@X.example", "ana@x.example", "a..b@x.example", "é@x.example", "a@", "a<b@x.example", "a\\tb@x.example",
        ]
        let entries = emails.map { "      - {email: \"\($0)\", role: owner}\n" }.joined()
        let found = messages("version: 1\nprojects:\n  - external_id: p\n    name: P\n    members:\n" + entries)
        let invalidLines = found.filter { $0.contains(": invalid email '") }.map { $0.prefix { $0 != ":" } }
        #expect(invalidLines == ["6", "7", "8", "9", "10", "11", "12", "17", "18", "19"])
        #expect(found.contains("14:9: duplicate member 'ana@x.example' in project 'p'; first listed at test.yaml:13:9"))
        #expect(found.count == 11)
    }
}

/// Member emails are made once per load and found again by their bytes; a duplicate is still a duplicate by
/// `normalizeEmail` and `String` equality, whichever path reads the entry.
@Suite struct MemberEmailTableTests {
    @Test func duplicatesAreFoundAcrossCaseAndUnicodeNormalization() {
        let yaml = """
            version: 1
            projects:
              - external_id: p
                name: P
                members:
                  - {email: "\u{E9}@x.example", role: owner}
                  - {email: "e\u{301}@x.example", role: viewer}
                  - {email: Ana@X.example, role: owner}
                  - {email: ana@x.example, role: owner, expires: 2030-01-01}
                  - {email: ANA@x.example, role: editor}
                  - {email: bo@x.example, role: editor}
            """
        #expect(messages(yaml) == [
            "7:9: duplicate member 'e\u{301}@x.example' in project 'p'; first listed at test.yaml:6:9",
            "9:9: duplicate member 'ana@x.example' in project 'p'; first listed at test.yaml:8:9",
            "10:9: duplicate member 'ANA@x.example' in project 'p'; first listed at test.yaml:8:9",
        ])
    }

    @Test func theSameEmailInOtherProjectsAndFilesIsNoDuplicate() {
        func file(_ name: String, _ projects: [String], bad: Bool) -> SourceFile {
            let text = "version: 1\nprojects:\n" + projects.map {
                "  - external_id: \($0)\n    name: P\n    members:\n      - {email: Ana@x.example, role: owner}\n"
                    + "      - {email: bo@x.example, role: viewer}\n" + (bad ? "      - {email: bad@, role: viewer}\n" : "")
            }.joined()
            return SourceFile(path: name, bytes: Array(text.utf8))
        }
        let result = ManifestLoader().load(sources: [file("a.yaml", ["a1", "a2"], bad: true), file("b.yaml", ["b1"], bad: true)])
        #expect(result.diagnostics.map { "\($0.location.map(\.description) ?? ""): \($0.message)" } == [
            "a.yaml:8:17: invalid email 'bad@'",
            "a.yaml:14:17: invalid email 'bad@'",
            "b.yaml:8:17: invalid email 'bad@'",
        ])
        let valid = ManifestLoader().load(sources: [file("a.yaml", ["a1", "a2"], bad: false), file("b.yaml", ["b1"], bad: false)])
        #expect(valid.diagnostics.isEmpty)
        #expect(valid.desired?.projects.map { $0.members?.map(\.email) ?? [] } == Array(repeating: ["Ana@x.example", "bo@x.example"], count: 3))
    }
}
