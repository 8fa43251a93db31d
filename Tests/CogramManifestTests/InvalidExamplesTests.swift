import CogramManifest
import CogramTestSupport
import Foundation
import Testing

/// Every entry of examples/invalid (a file, or a directory of files loaded together) has its exact expected
/// diagnostics in `<name>.expected`, rendered as `cogramctl validate` prints them without colour.
@Suite struct InvalidExamplesTests {
    static let entries: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Repository.url("examples/invalid").path)) ?? []
        return names.filter { !$0.hasSuffix(".expected") && !$0.hasSuffix(".txt") && !$0.hasSuffix(".md") }.sorted()
    }()

    @Test func thereAreAtLeastFifteen() {
        #expect(Self.entries.count >= 15)
    }

    @Test(arguments: entries)
    func diagnosticsMatchExpected(entry: String) throws {
        let relative = "examples/invalid/" + entry
        let result = try Repository.load(relative)
        #expect(!result.isValid)
        #expect(result.desired == nil)
        let rendered = DiagnosticRenderer(sources: result.sources).render(result.diagnostics)
        let base = entry.hasSuffix(".yaml") ? String(entry.dropLast(5)) : entry
        let expected = try Repository.text("examples/invalid/\(base).expected")
        #expect(rendered == expected, "diagnostics of \(relative) differ from \(base).expected")
        // Every diagnostic is located, so that editors and CI annotations can point at it.
        #expect(result.diagnostics.allSatisfy { $0.location != nil })
    }
}
