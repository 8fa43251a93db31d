import CogramManifest
import Testing

@Suite struct EmailTyposTests {
    static func warnings(_ yaml: String) throws -> [String] {
        let desired = try #require(load(yaml).desired)
        return EmailTypos.check(desired).map { d in d.location.map { "\($0.line):\($0.column): \(d.message)" } ?? d.message }
    }

    static func project(_ id: String, _ emails: [String]) -> String {
        "  - external_id: \(id)\n    name: \(id)\n    members:\n"
            + emails.map { "      - {email: \($0), role: owner}\n" }.joined()
    }

    @Test(arguments: [
        ("ana.ruiz@x.example", "ana.riuz@x.example"),  // swapped neighbours
        ("ana.ruiz@x.example", "ana.ruz@x.example"),   // missing
        ("ana.ruiz@x.example", "ana.ruizz@x.example"), // extra
        ("ana.ruiz@x.example", "ana.ruiz@x.exemple"),  // wrong
    ])
    func oneTypoFromAnEmailWrittenMoreOftenIsFlagged(_ right: String, _ typo: String) throws {
        let yaml = "version: 1\nprojects:\n" + Self.project("a", [right]) + Self.project("b", [right]) + Self.project("c", [typo])
        #expect(try Self.warnings(yaml) == [
            "14:9: \(typo) appears only here, and \(right) appears 2 times; did you mean \(right)?",
        ])
    }

    @Test func twoPeopleNamedOnceEachAreLeftAlone() throws {
        let yaml = "version: 1\nprojects:\n" + Self.project("a", ["jon@x.example"]) + Self.project("b", ["john@x.example"])
        #expect(try Self.warnings(yaml).isEmpty)
    }

    @Test func twoTyposAwayIsNotFlagged() throws {
        let right = "ana.ruiz@x.example"
        let yaml = "version: 1\nprojects:\n" + Self.project("a", [right]) + Self.project("b", [right]) + Self.project("c", ["ana.rz@x.example"])
        #expect(try Self.warnings(yaml).isEmpty)
    }
}
