import CogramManifest
import CogramTestSupport
import Foundation
import Testing

@Suite struct SARIFTests {
    /// Each example's diagnostics fall under a named rule, not the catch-all: the message wordings and the rule
    /// catalogue move together.
    @Test(arguments: InvalidExamplesTests.entries)
    func everyInvalidExampleMapsToANamedRule(entry: String) throws {
        let result = try Repository.load("examples/invalid/" + entry)
        for diagnostic in result.diagnostics {
            #expect(DiagnosticRule.rule(for: diagnostic.message) != DiagnosticRule.manifest, "\(entry): \(diagnostic.message)")
        }
    }

    @Test func rulesHaveUniqueIDsAndNamesAndHelp() {
        let rules = DiagnosticRule.all + [DiagnosticRule.manifest]
        #expect(Set(rules.map(\.id)).count == rules.count)
        #expect(Set(rules.map(\.name)).count == rules.count)
        #expect(rules.allSatisfy { !$0.help.isEmpty && !$0.summary.isEmpty })
    }

    /// The catalogue states each rule's level: the rules of warnings (an unused group, a possible email typo) are
    /// "warning" in the log's rule list, every other rule "error".
    @Test func rulesDefaultLevelsFollowTheCatalogue() throws {
        let log = SARIFLog(diagnostics: [], toolVersion: "1", base: URL(fileURLWithPath: "/repo"))
        let rules = try #require(log.runs.first).tool.driver.rules
        let warnings = rules.filter { $0.defaultConfiguration.level == "warning" }.map(\.id)
        #expect(warnings == ["COG010", "COG013"])
        #expect(rules.allSatisfy { ["warning", "error"].contains($0.defaultConfiguration.level) })
        #expect(rules.count == DiagnosticRule.all.count + 1)
    }

    @Test(arguments: [
        ("unknown key 'nmae' in a project; did you mean 'name'?", "COG004"),
        ("duplicate key 'name' in this mapping; first at line 3, column 5", "COG003"),
        ("project 'a' has 1 owner; policies.min_owners requires at least 2", "COG011"),
        ("invalid role 'onwer'; expected one of owner, editor, viewer; did you mean 'owner'?", "COG012"),
        ("invalid YAML: did not find expected key", "COG001"),
        ("ana@x.example appears only here, and anna@x.example appears 3 times; did you mean anna@x.example?", "COG013"),
        ("something no rule knows", "COG000"),
    ])
    func messagesMapToTheirRule(_ message: String, _ id: String) {
        #expect(DiagnosticRule.rule(for: message).id == id)
    }

    @Test func locationsAreRelativeToTheBaseAndEncoded() throws {
        let base = URL(fileURLWithPath: "/repo")
        let log = SARIFLog(diagnostics: [
            Diagnostic(.error, at: SourceLocation(file: "manifests/a b.yaml", line: 4, column: 7), "unknown key 'x' in a project"),
            Diagnostic(.warning, at: SourceLocation(file: "/repo/./manifests/../org.yaml", line: 2, column: 1), "group 'g' is used by no project; remove it"),
            Diagnostic(.error, at: SourceLocation(file: "/elsewhere/c.yaml", line: 1, column: 1), "invalid YAML: x"),
            Diagnostic(.error, at: nil, "missing: no such file or directory"),
        ], toolVersion: "9.9.9", base: base)
        let run = try #require(log.runs.first)
        let uris = run.results.map { $0.locations?.first?.physicalLocation.artifactLocation }
        #expect(uris.map { $0?.uri } == ["manifests/a%20b.yaml", "org.yaml", "file:///elsewhere/c.yaml", nil])
        #expect(uris.map { $0?.uriBaseId } == ["%SRCROOT%", "%SRCROOT%", nil, nil])
        let region = try #require(run.results[0].locations?.first?.physicalLocation.region)
        #expect(region.startLine == 4 && region.startColumn == 7)
        #expect(run.results.map(\.level) == ["error", "warning", "error", "error"])
        #expect(run.results.map(\.ruleId) == ["COG004", "COG010", "COG001", "COG014"])
        #expect(run.results.allSatisfy { run.tool.driver.rules[$0.ruleIndex].id == $0.ruleId })
        #expect(run.originalUriBaseIds?["%SRCROOT%"]?.uri == "file:///repo/")
        #expect(run.tool.driver.version == "9.9.9")
    }
}
