import CogramTestSupport
import Foundation
import Testing

/// Many errors: the first ones are printed, the rest counted; every one is still found.
@Suite struct ValidateAtScaleTests {
    /// A manifest of `count` projects with one unknown key each, in a new directory.
    static func manifest(errors count: Int) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cogram-scale-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var text = "version: 1\nprojects:\n"
        for i in 0..<count { text += "  - external_id: p-\(i)\n    name: P\(i)\n    nmae: x\n" }
        try text.write(to: directory.appendingPathComponent("many.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test func printsTheFirstHundredAndCountsTheRest() async throws {
        let directory = try Self.manifest(errors: 250)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await Binary.run(["validate", "many.yaml"], in: directory)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.filter { $0.contains(": error: ") }.count == 100)
        #expect(lines.suffix(3) == [
            "… and 150 more errors not shown (cogramctl validate --max-diagnostics 0 prints them all)",
            "250 errors found; nothing was changed.",
            "",
        ])
    }

    @Test func maxDiagnosticsZeroPrintsEveryOne() async throws {
        let directory = try Self.manifest(errors: 250)
        defer { try? FileManager.default.removeItem(at: directory) }
        let all = try await Binary.run(["validate", "many.yaml", "--max-diagnostics", "0"], in: directory)
        #expect(all.status == 1)
        #expect(all.stderr.components(separatedBy: ": error: ").count - 1 == 250)
        #expect(!all.stderr.contains("not shown"))
        let five = try await Binary.run(["validate", "many.yaml", "--max-diagnostics", "5"], in: directory)
        #expect(five.stderr.components(separatedBy: ": error: ").count - 1 == 5)
        #expect(five.stderr.contains("… and 245 more errors not shown"))
        let negative = try await Binary.run(["validate", "many.yaml", "--max-diagnostics", "-1"], in: directory)
        #expect(negative.status == 64)
    }
}
