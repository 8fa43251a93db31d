import CogramManifest
import Testing

@Suite struct ScalarTypingTests {
    @Test(arguments: [
        ("no", "no"), ("yes", "yes"), ("off", "off"), ("0123", "0123"), ("1.50", "1.50"), ("'null'", "null"),
        ("\"true\"", "true"), ("2026-01-05", "2026-01-05"), ("0x1F", "0x1F"), ("Ünïcödé Brücke", "Ünïcödé Brücke"),
    ])
    func namesAreStrings(written: String, expected: String) throws {
        let result = load("version: 1\nprojects:\n  - external_id: 0123\n    name: \(written)\n")
        let project = try #require(result.desired?.projects.first, "\(result.diagnostics)")
        #expect(project.name == expected)
        #expect(project.externalID == "0123")
    }

    /// Lengths are counted as Cogram counts them, in Unicode scalars: 128 letters written with combining marks
    /// are 256, refused here as the API refuses them; 128 precomposed letters are 128.
    @Test func lengthsAreCountedInUnicodeScalars() {
        let combining = String(repeating: "e\u{301}", count: 128)
        #expect(messages("version: 1\nprojects:\n  - external_id: \(combining)\n    name: A\n")
            == ["3:18: external_id is 256 characters long; Cogram allows at most 128"])
        #expect(load("version: 1\nprojects:\n  - external_id: \(String(repeating: "é", count: 128))\n    name: A\n").desired != nil)
        #expect(messages("version: 1\nprojects:\n  - external_id: a\n    name: \(String(repeating: "e\u{301}", count: 101))\n")
            == ["4:11: name is 202 characters long; Cogram allows at most 200"])
    }

    @Test func nullNameIsAnError() {
        #expect(messages("version: 1\nprojects:\n  - external_id: a\n    name: ~\n") == ["4:11: 'name' must not be null"])
    }

    @Test func quotedVersionIsNotTheNumberOne() {
        #expect(messages("version: \"1\"\n") == ["1:10: unsupported manifest version the string \"1\"; this cogramctl reads 'version: 1'"])
    }

    @Test func booleansAreStrictCore() {
        #expect(load("version: 1\nprojects:\n  - {external_id: a, name: A, archived: True}\n").desired?.projects.first?.archived == true)
        #expect(messages("version: 1\nprojects:\n  - {external_id: a, name: A, archived: on}\n")
            == ["3:41: expected true or false for 'archived', found 'on'"])
    }

    /// A standard tag must fit what it is written on; the message names the node and, for a scalar, its text.
    @Test(arguments: [
        ("!!int twelve", "3:11: the tag '!!int' does not fit a scalar 'twelve'"),
        ("!!bool yes", "3:11: the tag '!!bool' does not fit a scalar 'yes'"),
        ("!!null x", "3:11: the tag '!!null' does not fit a scalar 'x'"),
        ("!!map ~", "3:11: the tag '!!map' does not fit null '~'"),
        ("!!seq {a: 1}", "3:11: the tag '!!seq' does not fit a mapping"),
        ("!!map [a]", "3:11: the tag '!!map' does not fit a list"),
        ("!!yaml x", "3:11: unknown tag '!!yaml'; manifests use only the standard YAML tags"),
    ])
    func tagsMustFit(written: String, expected: String) {
        #expect(messages("version: 1\nprojects:\n  - name: \(written)\n    external_id: a\n").first == expected)
    }

    @Test func fittingTagsAreAccepted() throws {
        let result = load("version: !!int 1\nprojects:\n  - {external_id: !!str 7, name: !!str A, archived: !!bool TRUE, description: !!null ~}\n")
        let project = try #require(result.desired?.projects.first, "\(result.diagnostics)")
        #expect(project.archived && project.description == .null && project.externalID == "7")
    }

    @Test func explicitStringTagKeepsText() throws {
        let result = load("version: 1\nprojects:\n  - external_id: !!str 12\n    name: !!str no\n")
        let project = try #require(result.desired?.projects.first)
        #expect(project.externalID == "12")
        #expect(project.name == "no")
    }
}

@Suite struct StructureTests {
    @Test func topLevelXKeysAreIgnoredOthersAreNot() {
        #expect(messages("version: 1\nx-anything: {a: [1, 2]}\nproject: []\n")
            == ["3:1: unknown key 'project' at the top level of a manifest; did you mean 'projects'?"])
    }

    @Test func xKeysAreOnlyIgnoredAtTheTop() {
        #expect(messages("version: 1\nprojects:\n  - {external_id: a, name: A, x-note: hi}\n")
            == ["3:31: unknown key 'x-note' in a project"])
    }

    @Test func everyErrorIsReportedNotOnlyTheFirst() {
        let found = messages("""
            version: 1
            users:
              - email: nope
                role: boss
            projects:
              - external_id: a
                name: ""
                archived: maybe
            """)
        #expect(found.count == 4)
    }

    @Test func mergeKeysLetExplicitKeysWin() throws {
        let result = load("""
            version: 1
            x-base: &base {name: Base Name, description: from base}
            projects:
              - <<: *base
                external_id: a
                name: Own Name
            """)
        let project = try #require(result.desired?.projects.first, "\(result.diagnostics)")
        #expect(project.name == "Own Name")
        #expect(project.description == .value("from base"))
    }

    @Test func mergeOfAListEarlierWins() throws {
        let result = load("""
            version: 1
            x-a: &a {name: From A}
            x-b: &b {name: From B, description: From B}
            projects:
              - <<: [*a, *b]
                external_id: a
            """)
        let project = try #require(result.desired?.projects.first, "\(result.diagnostics)")
        #expect(project.name == "From A")
        #expect(project.description == .value("From B"))
    }

    /// An alias shares its anchor's nodes: every project that aliases a member list gets the same members, with
    /// the locations where they were written.
    @Test func aliasedMemberListsAreShared() throws {
        let result = load("""
            version: 1
            projects:
              - external_id: a
                name: A
                members: &team
                  - {email: ann@example.com, role: owner}
                  - {email: bob@example.com, role: viewer}
              - {external_id: b, name: B, members: *team}
              - {external_id: c, name: C, members: *team}
            """)
        let projects = try #require(result.desired?.projects, "\(result.diagnostics)")
        #expect(projects.count == 3)
        let lists = projects.map { $0.members?.map { "\($0.email) \($0.role) \($0.location.line):\($0.location.column)" } }
        #expect(lists[0] == ["ann@example.com owner 6:9", "bob@example.com viewer 7:9"])
        #expect(lists[1] == lists[0] && lists[2] == lists[0])
    }

    /// Duplicate keys are found whatever the mapping's size and however the keys are spelled in Unicode: keys
    /// that are the same text in another normalization form (é as one or two code points) are duplicates too.
    @Test(arguments: [2, 40])
    func duplicateKeysAreReported(otherKeys: Int) {
        let others = (0..<otherKeys).map { "x-k\($0): \($0)\n" }.joined()
        #expect(messages("version: 1\n\(others)x-caf\u{E9}: 1\nx-cafe\u{301}: 2\nprojects: []\n")
            == ["\(otherKeys + 3):1: duplicate key 'x-cafe\u{301}' in this mapping; first at line \(otherKeys + 2), column 1"])
        #expect(messages("version: 1\n\(others)projects: []\nprojects: [1]\n")
            == ["\(otherKeys + 3):1: duplicate key 'projects' in this mapping; first at line \(otherKeys + 2), column 1"])
    }

    /// The ASCII shortcut of `normalizeEmail` gives what `lowercased()` gives.
    @Test(arguments: ["ann@example.com", "Ann@Example.COM", "ÅSA@EXAMPLE.SE", "ß@straße.de", "İ@example.com", "", "a.b+c@x-y.io"])
    func normalizedEmailIsLowercased(email: String) {
        #expect(normalizeEmail(email) == email.lowercased())
    }

    @Test func mergeOfAScalarIsAnError() {
        #expect(messages("version: 1\nprojects:\n  - {<<: 5, external_id: a, name: A}\n")
            == ["3:10: a merge key '<<' takes a mapping or a list of mappings, not a scalar"])
    }

    @Test func undefinedAliasIsAnError() {
        #expect(messages("version: 1\nprojects: *nothing\n") == ["2:11: unknown alias '*nothing': no anchor '&nothing' comes before it"])
    }

    @Test func commentOnlyFileIsEmpty() {
        #expect(messages("# nothing here\n\n") == ["1:1: the file is empty; a manifest starts with 'version: 1'"])
    }

    @Test func byteOrderMarkIsAccepted() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("version: 1\nprojects: []\n".utf8)
        let result = ManifestLoader().load(sources: [SourceFile(path: "bom.yaml", bytes: bytes)])
        #expect(result.isValid, "\(result.diagnostics)")
    }

    @Test func utf16IsRejected() {
        let bytes: [UInt8] = [0xFF, 0xFE] + Array("version: 1\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let result = ManifestLoader().load(sources: [SourceFile(path: "u16.yaml", bytes: bytes)])
        #expect(!result.isValid)
        #expect(result.diagnostics.first?.message.contains("UTF-8") == true)
    }

    @Test func nulByteIsLocated() throws {
        let bytes = Array("version: 1\nprojects:\n  - name: a".utf8) + [0] + Array("b\n".utf8)
        let result = ManifestLoader().load(sources: [SourceFile(path: "nul.yaml", bytes: bytes)])
        let diagnostic = try #require(result.diagnostics.first as Diagnostic?)
        #expect(diagnostic.location == SourceLocation(file: "nul.yaml", line: 3, column: 12))
        #expect(diagnostic.message.contains("control characters"))
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = "version: 1\nprojects: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        #expect(messages(deep) == ["2:74: lists and mappings are nested more than 64 levels deep"])
    }

    @Test func deepBlockMappingsToo() {
        var yaml = "version: 1\nx-deep:\n"
        for depth in 1...200 { yaml += String(repeating: " ", count: depth) + "k:\n" }
        #expect(messages(yaml).first?.contains("nested more than 64 levels deep") == true)
    }

    @Test func aliasExpansionIsCapped() {
        var yaml = "version: 1\nx-0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { yaml += "x-\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let found = messages(yaml)
        #expect(found.count == 1)
        #expect(found.first?.contains("aliases expand to more than 100000 nodes") == true)
    }

    @Test func limitsAreConfigurable() {
        let loader = ManifestLoader(limits: LoaderLimits(maxFileBytes: 10, maxDepth: 2, maxAliasExpansion: 1))
        let result = loader.load(sources: [SourceFile(path: "t.yaml", bytes: Array("version: 1\nx: [[[]]]\n".utf8))])
        #expect(result.diagnostics.map(\.message) == ["lists and mappings are nested more than 2 levels deep"])
    }
}

@Suite struct CrossFileTests {
    func sources(_ files: [(String, String)]) -> LoadResult {
        ManifestLoader().load(sources: files.map { SourceFile(path: $0.0, bytes: Array($0.1.utf8)) })
    }

    @Test func sectionsMergeAcrossFiles() throws {
        let result = sources([
            ("a.yaml", "version: 1\nusers: [{email: a@x.example}]\nprojects: [{external_id: p1, name: P1}]\n"),
            ("b.yaml", "version: 1\nusers: [{email: b@x.example}]\nprojects: [{external_id: p2, name: P2}]\n"),
        ])
        let desired = try #require(result.desired)
        #expect(desired.users.map(\.email) == ["a@x.example", "b@x.example"])
        #expect(desired.projects.map(\.externalID) == ["p1", "p2"])
    }

    @Test func externalIDsAreCaseSensitiveEmailsAreNot() {
        let result = sources([
            ("a.yaml", "version: 1\nusers: [{email: A@x.example}]\nprojects: [{external_id: P1, name: P1}]\n"),
            ("b.yaml", "version: 1\nusers: [{email: a@X.example}]\nprojects: [{external_id: p1, name: p1}]\n"),
        ])
        #expect(result.diagnostics.map(\.description) == [
            "b.yaml:2:9: error: duplicate user 'a@X.example'; first listed at a.yaml:2:9",
        ])
    }

    @Test func adoptingOneIDTwiceIsAnError() {
        let result = sources([("a.yaml", "version: 1\nprojects:\n  - {external_id: p1, name: A, id: prj_1}\n  - {external_id: p2, name: B, id: prj_1}\n")])
        #expect(result.diagnostics.map(\.description) == ["a.yaml:4:5: error: project id 'prj_1' is adopted twice; first at a.yaml:3:5"])
    }
}

@Suite struct RendererTests {
    @Test func caretUnderTheColumnKeepingTabs() {
        let source = SourceFile(path: "t.yaml", bytes: Array("a:\n\tb: ü x\n".utf8))
        let diagnostic = Diagnostic(.error, at: SourceLocation(file: "t.yaml", line: 2, column: 6), "bad")
        #expect(DiagnosticRenderer(sources: [source]).render(diagnostic) == "t.yaml:2:6: error: bad\n\tb: ü x\n\t    ^\n")
    }

    @Test func colourOnlyWhenAsked() {
        let diagnostic = Diagnostic(.error, at: nil, "bad")
        #expect(!DiagnosticRenderer(sources: [], color: false).render(diagnostic).contains("\u{1B}["))
        #expect(DiagnosticRenderer(sources: [], color: true).render(diagnostic).contains("\u{1B}[1;31m"))
    }

    @Test func controlCharactersInSourceAreNotEchoed() {
        let source = SourceFile(path: "t.yaml", bytes: Array("name: \u{1B}[2Jx\n".utf8))
        let diagnostic = Diagnostic(.error, at: SourceLocation(file: "t.yaml", line: 1, column: 7), "bad")
        #expect(!DiagnosticRenderer(sources: [source]).render(diagnostic).contains("\u{1B}"))
    }

    @Test func githubAnnotation() {
        let diagnostic = Diagnostic(.error, at: SourceLocation(file: "dir,x/a:b.yaml", line: 3, column: 9), "100% wrong")
        #expect(DiagnosticRenderer.githubAnnotation(diagnostic) == "::error file=dir%2Cx/a%3Ab.yaml,line=3,col=9::100%25 wrong")
        // A value quoted from a hostile manifest cannot inject a second workflow command or escape codes.
        let hostile = Diagnostic(.error, at: nil, "invalid role 'x\n::error::forged\u{1B}[2J'")
        #expect(DiagnosticRenderer.githubAnnotation(hostile) == #"::error::invalid role 'x\n::error::forged\u{1B}[2J'"#)
    }

    /// Issue 23.5: a file name with a line break cannot forge a workflow command in the human diagnostic (the
    /// terminal rule) nor in the annotation (GitHub's property encoding).
    @Test func aFileNameWithALineBreakForgesNoWorkflowCommand() {
        let file = "a\n::error title=forged::x\u{202E}.yaml"
        let source = SourceFile(path: file, bytes: Array("version: 2\n".utf8))
        let diagnostic = Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 10), "bad")
        let human = DiagnosticRenderer(sources: [source]).render(diagnostic)
        #expect(human.hasPrefix(#"a\n::error title=forged::x\u{202E}.yaml:1:10: error: bad"#), "\(human)")
        #expect(!human.split(separator: "\n").contains { $0.hasPrefix("::") })
        #expect(!diagnostic.description.contains("\n") && !diagnostic.description.unicodeScalars.contains("\u{202E}"))
        let annotation = DiagnosticRenderer.githubAnnotation(diagnostic)
        #expect(annotation == "::error file=a%0A%3A%3Aerror title=forged%3A%3Ax\u{202E}.yaml,line=1,col=10::bad")
    }
}
