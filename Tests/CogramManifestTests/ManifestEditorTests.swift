import CogramManifest
import Testing

@Suite struct ManifestEditorTests {
    func edit(_ text: String, _ edits: [ManifestEdit]) throws -> String {
        let editor = try ManifestEditor(source: SourceFile(path: "m.yaml", bytes: Array(text.utf8)))
        return String(decoding: try editor.applying(edits), as: UTF8.self)
    }

    func refusal(_ text: String, _ edits: [ManifestEdit]) -> EditError? {
        do {
            _ = try edit(text, edits)
            return nil
        } catch let error as EditError {
            return error
        } catch {
            return nil
        }
    }

    static let crew = """
        # yaml-language-server: $schema=x.json
        version: 1
        projects:
          - external_id: "p"   # quoted on purpose
            name: P

            members:
              # the lead
              - email: ana@x.example   # since 2020
                role: owner
              - email: ben@x.example
                role: viewer
              # trailing note
        """

    @Test func removingAnItemTakesItsCommentLinesAndLeavesEveryOtherByte() throws {
        let path: YAMLPath = [.key("projects"), .index(0), .key("members"), .index(0)]
        #expect(try edit(Self.crew, [.removeItem(path)]) == """
            # yaml-language-server: $schema=x.json
            version: 1
            projects:
              - external_id: "p"   # quoted on purpose
                name: P

                members:
                  - email: ben@x.example
                    role: viewer
                  # trailing note
            """)
    }

    @Test func removingEveryItemLeavesAnEmptyList() throws {
        let members: YAMLPath = [.key("projects"), .index(0), .key("members")]
        let result = try edit(Self.crew, [.removeItem(members + [.index(1)]), .removeItem(members + [.index(0)])])
        #expect(result == """
            # yaml-language-server: $schema=x.json
            version: 1
            projects:
              - external_id: "p"   # quoted on purpose
                name: P

                members: []
                  # trailing note
            """)
        #expect(load(result).isValid)
    }

    @Test func replacingAScalarKeepsItsQuoting() throws {
        #expect(try edit(Self.crew, [.replaceScalar([.key("projects"), .index(0), .key("external_id")], with: "q")])
            .contains("  - external_id: \"q\"   # quoted on purpose\n"))
        #expect(try edit("version: 1\nprojects:\n  - external_id: 'a'\n    name: no\n",
            [.replaceScalar([.key("projects"), .index(0), .key("name")], with: "yes")]) == "version: 1\nprojects:\n  - external_id: 'a'\n    name: \"yes\"\n")
    }

    @Test func controlCharactersAndLineSeparatorsAreEscapedAsImportEscapesThem() throws {
        let value = "a\u{07}b\u{85}c\u{2028}d\u{FEFF}e"
        let edited = try edit("version: 1\nprojects:\n  - external_id: a\n    name: P\n",
            [.replaceScalar([.key("projects"), .index(0), .key("name")], with: value)])
        #expect(edited == "version: 1\nprojects:\n  - external_id: a\n    name: \"a\\ab\\Nc\\Ld\\uFEFFe\"\n")
        #expect(edited.contains(YAMLQuoting.doubleQuoted(value)))
    }

    @Test func appendingAnItemIndentsItLikeItsNeighbours() throws {
        let text = "version: 1\nusers:\n    - email: a@x.example\n      role: admin\n# end\n"
        let result = try edit(text, [.appendItem(to: [.key("users")], .mapping([EditPair("email", .scalar("b@x.example")), EditPair("role", .scalar("guest"))]))])
        #expect(result == "version: 1\nusers:\n    - email: a@x.example\n      role: admin\n    - email: b@x.example\n      role: guest\n# end\n")
        let empty = try edit("version: 1\noffboarded: []  # none\n", [.appendItem(to: [.key("offboarded")], .mapping([EditPair("email", .scalar("b@x.example"))]))])
        #expect(empty == "version: 1\noffboarded:\n  - email: b@x.example  # none\n")
        #expect(load(empty).isValid)
    }

    @Test func literalsAreWrittenPlainWhereAStringWouldBeQuoted() throws {
        let text = "version: 1\nprojects:\n  - external_id: a\n    name: P\n    description: \"old\"  # why\n    archived: true\n"
        let project: YAMLPath = [.key("projects"), .index(0)]
        let result = try edit(text, [
            .replaceWithLiteral(project + [.key("description")], .null), .replaceWithLiteral(project + [.key("archived")], .false),
        ])
        #expect(result == "version: 1\nprojects:\n  - external_id: a\n    name: P\n    description: null  # why\n    archived: false\n")
        #expect(load(result).desired?.projects.first?.description == .null)
        #expect(load(result).desired?.projects.first?.archived == false)
    }

    @Test func aKeyIsInsertedOnTheLineAfterAnotherIndentedLikeIt() throws {
        let text = "version: 1\nprojects:\n  - external_id: a   # site\n    name: P\n    members: []\n  - external_id: b\n    name: Q\n"
        let result = try edit(text, [.insertKey(in: [.key("projects"), .index(0)], after: "external_id", key: "archived", .literal(.true))])
        #expect(result == "version: 1\nprojects:\n  - external_id: a   # site\n    archived: true\n    name: P\n    members: []\n  - external_id: b\n    name: Q\n")
        #expect(load(result).desired?.projects.first?.archived == true)
        let users = try edit("version: 1\nusers:\n  - email: a@x.example\n", [.insertKey(in: [.key("users"), .index(0)], after: "email", key: "role", .scalar("admin"))])
        #expect(users == "version: 1\nusers:\n  - email: a@x.example\n    role: admin\n")
        let crlf = try edit("version: 1\r\nusers:\r\n  - email: a@x.example", [.insertKey(in: [.key("users"), .index(0)], after: "email", key: "role", .scalar("admin"))])
        #expect(crlf == "version: 1\r\nusers:\r\n  - email: a@x.example\r\n    role: admin\r\n")
    }

    @Test func aBlockScalarIsNotRewritten() {
        let text = "version: 1\nprojects:\n  - external_id: a\n    name: P\n    description: |\n      two\n      lines\n    members: []\n"
        let description: YAMLPath = [.key("projects"), .index(0), .key("description")]
        #expect(refusal(text, [.replaceScalar(description, with: "one")])?.message.contains("block scalar") == true)
        #expect(refusal(text, [.replaceWithLiteral(description, .null)])?.location?.line == 5)
    }

    @Test func aKeyIsNotInsertedAfterAValueThatSpansLinesNorTwice() {
        let text = "version: 1\nprojects:\n  - external_id: a\n    name: >\n      folded\n    archived: false\n"
        let project: YAMLPath = [.key("projects"), .index(0)]
        #expect(refusal(text, [.insertKey(in: project, after: "name", key: "description", .scalar("d"))])?.message.contains("spans lines") == true)
        #expect(refusal(text, [.insertKey(in: project, after: "external_id", key: "archived", .literal(.true))])?.message.contains("already has 'archived'") == true)
    }

    @Test func addingATopLevelSectionGoesAtTheEnd() throws {
        let value = EditValue.sequence([.mapping([EditPair("email", .scalar("leo@x.example")), EditPair("date", .scalar("2026-12-06"))])])
        #expect(try edit("version: 1\nusers:\n- email: a@x.example\n", [.insertTopLevelKey("offboarded", value)])
            == "version: 1\nusers:\n- email: a@x.example\noffboarded:\n- email: leo@x.example\n  date: 2026-12-06\n")
        #expect(try edit("version: 1", [.insertTopLevelKey("offboarded", value)])
            == "version: 1\noffboarded:\n  - email: leo@x.example\n    date: 2026-12-06\n")
    }

    @Test func crlfLineEndsAreKept() throws {
        let text = "version: 1\r\nusers:\r\n  - email: a@x.example\r\n  - email: b@x.example  # b\r\n  - email: c@x.example\r\n"
        let result = try edit(text, [
            .removeItem([.key("users"), .index(1)]),
            .insertTopLevelKey("offboarded", .sequence([.mapping([EditPair("email", .scalar("b@x.example"))])])),
        ])
        #expect(result == "version: 1\r\nusers:\r\n  - email: a@x.example\r\n  - email: c@x.example\r\noffboarded:\r\n  - email: b@x.example\r\n")
    }

    @Test func nonASCIITextBeforeTheEditIsCountedInBytes() throws {
        let text = "version: 1\nusers:\n  - email: zoë@x.example  # Zoë Müller\n  - email: b@x.example\n"
        #expect(try edit(text, [.removeItem([.key("users"), .index(1)])]) == "version: 1\nusers:\n  - email: zoë@x.example  # Zoë Müller\n")
        #expect(try edit("\u{FEFF}" + text, [.removeItem([.key("users"), .index(1)])]) == "\u{FEFF}version: 1\nusers:\n  - email: zoë@x.example  # Zoë Müller\n")
    }

    @Test func quotedKeysAreFound() throws {
        let text = "\"version\": 1\n'users':\n  - \"email\": a@x.example\n  - email: b@x.example\n"
        #expect(try edit(text, [.removeItem([.key("users"), .index(0)])]) == "\"version\": 1\n'users':\n  - email: b@x.example\n")
        #expect(try edit(text, [.removeItem([.key("users"), .index(0)]), .removeItem([.key("users"), .index(1)])])
            == "\"version\": 1\n'users': []\n")
    }

    @Test func flowStyleIsRefused() {
        let error = refusal("version: 1\nusers: [{email: a@x.example}, {email: b@x.example}]\n", [.removeItem([.key("users"), .index(0)])])
        #expect(error?.location?.line == 2)
        #expect(error?.location?.column == 8)
        #expect(error?.message.contains("flow-style") == true)
        #expect(refusal("version: 1\nusers:\n  - {email: a@x.example, role: admin}\n", [.replaceScalar([.key("users"), .index(0), .key("role")], with: "guest")])?
            .message.contains("flow-style") == true)
    }

    @Test func aWholeFlowStyleItemOfABlockListCanBeRemoved() throws {
        let text = "version: 1\nusers:\n  - {email: a@x.example, role: admin}   # a\n  - {email: b@x.example}\n"
        #expect(try edit(text, [.removeItem([.key("users"), .index(0)])]) == "version: 1\nusers:\n  - {email: b@x.example}\n")
    }

    @Test func anchorsAliasesAndMergeKeysAreRefused() {
        let text = """
            version: 1
            x-crew: &crew
              - email: a@x.example
                role: owner
            x-base: &base
              name: P
            projects:
              - external_id: p
                name: P
                members: *crew
              - <<: *base
                external_id: q

            """
        let alias = refusal(text, [.removeItem([.key("projects"), .index(0), .key("members"), .index(0)])])
        #expect(alias?.message.contains("anchor or alias (the anchor is at line 2, column 9)") == true)
        #expect(alias?.location?.line == 10)
        let merged = refusal(text, [.replaceScalar([.key("projects"), .index(1), .key("external_id")], with: "r")])
        #expect(merged?.message.contains("merge key") == true)
        #expect(merged?.location?.line == 11)
    }

    @Test func overlappingEditsAreRefused() {
        #expect(refusal("version: 1\nusers:\n  - email: a@x.example\n  - email: b@x.example\n", [
            .removeItem([.key("users"), .index(0)]), .replaceScalar([.key("users"), .index(0), .key("email")], with: "c@x.example"),
        ]) != nil)
    }
}

@Suite struct UnifiedDiffTests {
    @Test func showsHunksWithThreeLinesOfContext() {
        let old = Array((1...12).map { "line \($0)\n" }.joined().utf8)
        var lines = (1...12).map { "line \($0)" }
        lines.remove(at: 5)
        lines.insert("new", at: 10)
        let new = Array(lines.map { $0 + "\n" }.joined().utf8)
        #expect(UnifiedDiff.make(old: old, new: new, oldName: "a/f", newName: "b/f") == """
            --- a/f
            +++ b/f
            @@ -3,10 +3,10 @@
             line 3
             line 4
             line 5
            -line 6
             line 7
             line 8
             line 9
             line 10
             line 11
            +new
             line 12

            """)
        #expect(UnifiedDiff.make(old: old, new: old, oldName: "a", newName: "b") == "")
    }

    @Test func separatesDistantChangesAndNumbersPureInsertions() {
        let old = Array((1...20).map { "l\($0)\n" }.joined().utf8)
        var lines = (1...20).map { "l\($0)" }
        lines[0] = "x1"
        lines.append("l21")
        let new = Array(lines.map { $0 + "\n" }.joined().utf8)
        let diff = UnifiedDiff.make(old: old, new: new, oldName: "a", newName: "b")
        #expect(diff.contains("@@ -1,4 +1,4 @@\n-l1\n+x1\n l2\n l3\n l4\n"))
        #expect(diff.contains("@@ -18,3 +18,4 @@\n l18\n l19\n l20\n+l21\n"))
    }
}
