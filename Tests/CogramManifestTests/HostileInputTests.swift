#if canImport(Glibc)
import CogramTestSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramManifest
import Foundation
import Testing

// Hostile and broken manifests: every one is refused with a located error, quickly, without a crash.
//
// The small files live in Hostile/ (with expectations.tsv: where each must report an error and what it says);
// the big ones (50 MB, 5 MB lines, 20,000-deep nesting, tens of thousands of items) are generated here into a
// temporary folder. Loads run on a thread of their own, off Swift's cooperative pool, so that a slow load never
// starves the in-process sandboxes that other suites of this test process serve. Time is the load thread's CPU
// time: what the loader itself costs, whatever else the shared machine is doing.

// MARK: - Budget

/// The budget of one hostile file, in CPU seconds of the debug build that CI runs.
private let budget = 2.0

/// What one load produced and cost.
private struct TimedLoad: Sendable {
    var result: LoadResult
    var cpuSeconds: Double
    var wallSeconds: Double
}

/// Runs `load` on a new thread and measures that thread's CPU time.
private func timedLoad(_ load: @escaping @Sendable () -> LoadResult) async -> TimedLoad {
    await withCheckedContinuation { (continuation: CheckedContinuation<TimedLoad, Never>) in
        let thread = Thread {
            let wallStart = Date()
            let cpuStart = threadCPUSeconds()
            let result = load()
            let cpu = threadCPUSeconds() - cpuStart
            continuation.resume(returning: TimedLoad(result: result, cpuSeconds: cpu, wallSeconds: Date().timeIntervalSince(wallStart)))
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

private func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// The checks every hostile input must pass: invalid, at least one error, every error located in `file`.
private func expectRefused(_ timed: TimedLoad, file: String, limit: Double = budget, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let result = timed.result
    #expect(!result.isValid, "\(file) must be invalid", sourceLocation: sourceLocation)
    #expect(result.desired == nil, "\(file): no desired state from an invalid file", sourceLocation: sourceLocation)
    #expect(result.diagnostics.hasErrors, "\(file) must report an error", sourceLocation: sourceLocation)
    for diagnostic in result.diagnostics where diagnostic.severity == .error {
        #expect(diagnostic.location?.file == file && (diagnostic.location?.line ?? 0) >= 1 && (diagnostic.location?.column ?? 0) >= 1,
                "\(file): error without a location: \(diagnostic.message.prefix(200))", sourceLocation: sourceLocation)
    }
    #expect(timed.cpuSeconds < limit,
            "\(file) cost \(String(format: "%.2f", timed.cpuSeconds)) s of CPU (\(String(format: "%.2f", timed.wallSeconds)) s wall); the budget is \(limit) s",
            sourceLocation: sourceLocation)
}

// MARK: - The corpus

enum HostileCorpus {
    static let folder = "Tests/CogramManifestTests/Hostile"

    struct Expectation: Sendable, CustomTestStringConvertible {
        var file: String
        var line: Int
        var column: Int
        var fragment: String
        var testDescription: String { file }
    }

    /// expectations.tsv: `file<TAB>line:column<TAB>message fragment`, `#` comments.
    static let expectations: [Expectation] = {
        guard let text = try? Repository.text(folder + "/expectations.tsv") else { return [] }
        return text.split(separator: "\n").compactMap { row in
            guard !row.hasPrefix("#") else { return nil }
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            let position = fields[1].split(separator: ":").compactMap { Int($0) }
            guard position.count == 2 else { return nil }
            return Expectation(file: String(fields[0]), line: position[0], column: position[1], fragment: String(fields[2]))
        }
    }()

    static func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Repository.url(folder).path).filter { $0.hasSuffix(".yaml") }.sorted()
    }
}

@Suite struct HostileInputTests {
    @Test func corpusIsLargeAndEveryFileHasAnExpectation() throws {
        let files = try HostileCorpus.files()
        #expect(files.count >= 50)
        #expect(Set(files) == Set(HostileCorpus.expectations.map(\.file)), "expectations.tsv and the folder must list the same files")
    }

    /// In process, for every file: refused, every error located, the expected error at the expected place, in budget.
    @Test(arguments: HostileCorpus.expectations)
    func refusedWithLocatedError(_ expectation: HostileCorpus.Expectation) async throws {
        let path = HostileCorpus.folder + "/" + expectation.file
        let bytes = [UInt8](try Data(contentsOf: Repository.url(path)))
        let timed = await timedLoad { ManifestLoader().load(sources: [SourceFile(path: path, bytes: bytes)]) }
        expectRefused(timed, file: path)
        let found = timed.result.diagnostics.contains {
            $0.severity == .error && $0.location?.line == expectation.line && $0.location?.column == expectation.column
                && $0.message.contains(expectation.fragment)
        }
        #expect(found, """
            \(expectation.file): expected an error at \(expectation.line):\(expectation.column) containing "\(expectation.fragment)"; got:
            \(timed.result.diagnostics.map { "\($0)".prefix(300) }.joined(separator: "\n"))
            """)
        // Rendering (source line, caret) must cope with whatever the file holds.
        let rendered = DiagnosticRenderer(sources: timed.result.sources).render(timed.result.diagnostics)
        #expect(rendered.contains("\(path):\(expectation.line):\(expectation.column): error:"))
    }

    /// A manifest must not be able to write terminal escape sequences through a diagnostic: values quoted in
    /// messages (`"\e[2J"` in a double-quoted scalar is legal YAML) are shown with their control characters
    /// replaced, as source lines already are.
    @Test(arguments: ["control-escape-sequence-in-message.yaml", "control-c1-in-message.yaml"])
    func diagnosticsCarryNoControlCharacters(_ file: String) throws {
        let path = HostileCorpus.folder + "/" + file
        let result = ManifestLoader().load(sources: [SourceFile(path: path, bytes: [UInt8](try Data(contentsOf: Repository.url(path))))])
        let rendered = DiagnosticRenderer(sources: result.sources, color: false).render(result.diagnostics)
            + result.diagnostics.map(DiagnosticRenderer.githubAnnotation).joined(separator: "\n")
        let controls = rendered.unicodeScalars.filter { $0 != "\n" && $0.properties.generalCategory == .control }
        #expect(controls.isEmpty, "control characters in the rendered diagnostics: \(controls.map { String($0.value, radix: 16) })")
    }

    // MARK: - Generated: big, long, deep, many

    /// A temporary folder with one generated file.
    private static func generated(_ name: String, _ write: (FileHandle) throws -> Void) throws -> (folder: URL, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        try write(handle)
        return (folder, path)
    }

    private static func text(_ name: String, _ content: String) throws -> (folder: URL, path: String) {
        try generated(name) { try $0.write(contentsOf: Data(content.utf8)) }
    }

    /// 50 MB: refused from its size (stat) before any byte is read. The file is sparse, and the message is the
    /// one `read` gives before opening the file, not the one it gives after reading past the limit.
    @Test func fiftyMegabytesRefusedBySizeBeforeReading() async throws {
        let (folder, path) = try Self.generated("fifty.yaml") { try $0.truncate(atOffset: 50 << 20) }
        defer { try? FileManager.default.removeItem(at: folder) }
        let timed = await timedLoad { ManifestLoader().load(paths: [path]) }
        expectRefused(timed, file: path, limit: 0.5)
        #expect(timed.result.diagnostics.map(\.message) == ["the file is 52428800 bytes; manifests may be at most 33554432 bytes (split it into several files)"])
        #expect(timed.result.sources.isEmpty, "nothing was read")
    }

    /// The cases below, with the error each must produce and (for the few that legitimately need more in a debug
    /// build) their own CPU budget.
    struct Generated: Sendable, CustomTestStringConvertible {
        var name: String
        var content: @Sendable () -> String
        var fragment: String
        var limit: Double = budget
        var testDescription: String { name }
    }

    static let version = "version: 1\n"
    static let generatedCases: [Generated] = [
        Generated(name: "long-line-5mb-name", content: { version + "projects:\n  - external_id: p-1\n    name: " + String(repeating: "N", count: 5 << 20) + "\n" },
                  fragment: "name is 5242880 characters long"),
        Generated(name: "long-line-5mb-email", content: { version + "users:\n  - email: " + String(repeating: "a", count: 5 << 20) + "@acme.example\n" },
                  fragment: "invalid email"),
        // An unknown key and a bad enum value 5 MB long: "did you mean" must not compare 5 MB strings edit by edit.
        Generated(name: "long-line-5mb-explicit-key", content: { version + "? " + String(repeating: "k", count: 5 << 20) + "\n: 1\n" },
                  fragment: "unknown key"),
        Generated(name: "long-line-5mb-role", content: { version + "users:\n  - email: a@acme.example\n    role: \"" + String(repeating: "r", count: 5 << 20) + "\"\n" },
                  fragment: "invalid role"),
        Generated(name: "long-line-5mb-plain-key", content: { version + String(repeating: "k", count: 5 << 20) + ": 1\n" },
                  fragment: "invalid YAML"),
        Generated(name: "long-line-5mb-comment-then-error", content: { version + "#" + String(repeating: "c", count: 5 << 20) + "\nprojects: 1\n" },
                  fragment: "expected 'projects' to be a list"),
        Generated(name: "long-line-5mb-unclosed-quote", content: { version + "x-a: \"" + String(repeating: "q", count: 5 << 20) + "\n" },
                  fragment: "invalid YAML"),
        Generated(name: "nesting-20000-flow-lists", content: { version + "x-a: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "\n" },
                  fragment: "nested more than 64 levels deep"),
        Generated(name: "nesting-20000-flow-mappings", content: { version + "x-a: " + String(repeating: "{a: ", count: 20_000) + "1" + String(repeating: "}", count: 20_000) + "\n" },
                  fragment: "nested more than 64 levels deep"),
        Generated(name: "nesting-20000-unclosed", content: { version + "x-a: " + String(repeating: "[{a: ", count: 10_000) + "\n" },
                  fragment: "nested more than 64 levels deep"),
        Generated(name: "nesting-200-block-lists", content: { version + "x-a:\n" + (0..<200).map { String(repeating: " ", count: $0) + "-\n" }.joined() },
                  fragment: "nested more than 64 levels deep"),
        Generated(name: "nesting-100-block-projects", content: {
            version + "projects:\n" + (1...100).map { String(repeating: "  ", count: $0) + "- members:\n" }.joined()
        }, fragment: "nested more than 64 levels deep"),
        // Many items in one list or mapping: appending must cost constant time, not a copy of the whole list.
        Generated(name: "items-30000-in-one-flow-list", content: { version + "x-a: [" + Array(repeating: "1", count: 30_000).joined(separator: ",") + "]\nfoo: 1\n" },
                  fragment: "unknown key 'foo'"),
        Generated(name: "items-30000-projects-with-errors", content: {
            version + "projects:\n" + (0..<30_000).map { "  - {external_id: p-\($0), name: P, archived: maybe}\n" }.joined()
        }, fragment: "expected true or false for 'archived', found 'maybe'",
           // 30,000 located errors, each entry still checked for duplicates (an entry with an error can hide a
           // second one): about 1.6–2.1 s of debug-build CPU here. The budget is there to catch super-linear
           // growth, which would cost a hundred times more, not the last tenth of a second.
           limit: 3.0),
        Generated(name: "items-30000-duplicate-keys", content: { version + "x-a:\n" + String(repeating: "  k: 1\n", count: 30_000) },
                  fragment: "duplicate key 'k'"),
        Generated(name: "items-30000-unknown-keys", content: {
            version + "projects:\n  - external_id: p\n    name: P\n" + (0..<30_000).map { "    k\($0): 1\n" }.joined()
        }, fragment: "unknown key 'k0' in a project"),
        Generated(name: "items-30000-aliases", content: { version + "x-a: &a 1\nx-b: [" + Array(repeating: "*a", count: 30_000).joined(separator: ", ") + "]\nfoo: 1\n" },
                  fragment: "unknown key 'foo'"),
        // One 1 MiB scalar anchored and aliased 4,999 times: few nodes, but 5 GB of strings once decoded.
        Generated(name: "alias-bytes-1mb-scalar-4999-aliases", content: {
            version + "x-a: &a " + String(repeating: "x", count: 1 << 20) + "\nx-b:\n" + String(repeating: "  - *a\n", count: 4_999)
        }, fragment: "aliases expand to more than 4194304 bytes of text"),
        // The same text inside a list and a mapping: their weight is the sum of what they hold, four levels up.
        Generated(name: "alias-bytes-1mb-scalar-in-nested-collections", content: {
            version + "x-a: &a [{k: [" + String(repeating: "x", count: 1 << 20) + "]}]\nx-b: &b {l: *a}\nx-c: [*b, *b, *b, *b]\n"
        }, fragment: "aliases expand to more than 4194304 bytes of text"),
        Generated(name: "items-30000-anchors", content: { version + "x-a:\n" + (0..<30_000).map { "  - &a\($0) \($0)\n" }.joined() + "foo: 1\n" },
                  fragment: "unknown key 'foo'"),
        Generated(name: "documents-100000-markers", content: { String(repeating: "---\n", count: 100_000) },
                  fragment: "several YAML documents"),
        Generated(name: "comments-30mb-only", content: { String(repeating: "# a comment line, nothing else " + String(repeating: "x", count: 48) + "\n", count: 30 << 20 / 80) },
                  fragment: "the file is empty"),
        Generated(name: "block-scalar-20mb-name", content: {
            version + "projects:\n  - external_id: p-1\n    name: |\n" + String(repeating: "      " + String(repeating: "n", count: 74) + "\n", count: 20 << 20 / 81)
        }, fragment: "characters long; Cogram allows at most 200"),
    ]

    /// Generated hostile files, loaded from disk as `validate` does. Serialized: each is CPU-heavy, and the two
    /// cores are shared with the rest of the test run.
    @Test(.serialized, arguments: generatedCases)
    func generatedFileRefused(_ testCase: Generated) async throws {
        let (folder, path) = try Self.text(testCase.name + ".yaml", testCase.content())
        defer { try? FileManager.default.removeItem(at: folder) }
        let timed = await timedLoad { ManifestLoader().load(paths: [path]) }
        expectRefused(timed, file: path, limit: testCase.limit)
        print("hostile \(testCase.name): \(String(format: "%.3f", timed.cpuSeconds)) s CPU")
        #expect(timed.result.diagnostics.contains { $0.message.contains(testCase.fragment) },
                "\(testCase.name): \(timed.result.diagnostics.prefix(3).map { $0.message.prefix(200) })")
        // Rendering stays bounded too: source lines are cut at 400 characters.
        let rendered = DiagnosticRenderer(sources: timed.result.sources).render(Array(timed.result.diagnostics.prefix(10)))
        #expect(rendered.contains(": error: "))
    }
}

// MARK: - Through the binary

/// A representative subset through the built binary, as users run it: exit 1, located diagnostics on stderr,
/// no crash report, within the budget (wall clock here, with headroom for process start and a loaded machine).
@Suite(.serialized) struct HostileBinaryTests {
    static let subset = [
        "encoding-invalid-utf8-in-value.yaml", "encoding-utf16le-bom.yaml", "encoding-utf32be-bom.yaml",
        "control-nul-in-value.yaml", "line-endings-cr-only.yaml", "syntax-tab-indentation.yaml",
        "syntax-unclosed-flow-sequence.yaml", "documents-empty.yaml", "documents-several.yaml",
        "documents-top-level-list.yaml", "directive-yaml-2-0.yaml", "tag-python-object.yaml",
        "alias-bomb-sequences.yaml", "alias-bomb-merge-keys.yaml", "alias-recursive-mapping.yaml",
        "duplicate-key-member.yaml", "schema-version-float.yaml", "schema-project-members-null.yaml",
        "schema-name-201-characters.yaml", "schema-invalid-emails.yaml",
    ]

    @Test func subsetExitsOneWithLocatedErrors() async throws {
        for file in Self.subset {
            let path = HostileCorpus.folder + "/" + file
            try await expectValidateRefuses(path, budget: 10)
        }
    }

    /// The big ones through the binary: 50 MB, a 5 MB line, 20,000-deep nesting, a 5 MB single-line list.
    @Test func bigFilesExitOne() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-hostile-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifty = folder.appendingPathComponent("fifty.yaml").path
        _ = FileManager.default.createFile(atPath: fifty, contents: nil)
        try FileHandle(forWritingAtPath: fifty).map { try $0.truncate(atOffset: 50 << 20); try $0.close() }
        let files: [(String, String, Double)] = [
            ("long-name.yaml", "version: 1\nprojects:\n  - external_id: p-1\n    name: " + String(repeating: "N", count: 5 << 20) + "\n", 5),
            // 1.03 MB of source that aliases would make 5 GB of text.
            ("alias-bytes.yaml", "version: 1\nx-a: &a " + String(repeating: "x", count: 1 << 20) + "\nx-b:\n" + String(repeating: "  - *a\n", count: 4_999), 5),
            ("deep.yaml", "version: 1\nx-a: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "\n", 5),
            // 2.6 million items on one line: linear, but about 3 s of a debug build's CPU (1.3 s in release).
            ("long-list.yaml", "version: 1\nx-a: [" + Array(repeating: "1", count: 5 << 19).joined(separator: ",") + "]\nfoo: 1\n", 15),
        ]
        try await expectValidateRefuses(fifty, budget: 5, message: "the file is 52428800 bytes")
        for (name, content, budget) in files {
            let path = folder.appendingPathComponent(name).path
            try content.write(toFile: path, atomically: false, encoding: .utf8)
            try await expectValidateRefuses(path, budget: budget)
        }
    }

    private func expectValidateRefuses(_ path: String, budget: Double, message: String? = nil,
                                       sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let started = Date()
        // The timeout bounds a regression (a quadratic loop) to a failure instead of a hung CI job.
        let result = try await Binary.run(["validate", path], environment: ["NO_COLOR": "1"], timeout: max(budget * 4, 20))
        let elapsed = Date().timeIntervalSince(started)
        let name = (path as NSString).lastPathComponent
        #expect(result.status == 1, "\(name): exit \(result.status)", sourceLocation: sourceLocation)
        #expect(result.stderr.range(of: #":[0-9]+:[0-9]+: error: "#, options: .regularExpression) != nil,
                "\(name): \(result.stderr.prefix(500))", sourceLocation: sourceLocation)
        for crash in ["Fatal error", "Segmentation", "Illegal instruction", "Stack dump", "AddressSanitizer"] {
            #expect(!result.stderr.contains(crash), "\(name): \(crash)", sourceLocation: sourceLocation)
        }
        if let message { #expect(result.stderr.contains(message), "\(name): \(result.stderr.prefix(500))", sourceLocation: sourceLocation) }
        #expect(elapsed < budget, "\(name) took \(String(format: "%.2f", elapsed)) s", sourceLocation: sourceLocation)
    }
}
