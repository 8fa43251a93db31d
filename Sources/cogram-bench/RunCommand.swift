import ArgumentParser
import Foundation

/// `cogram-bench run`: measures every figure in one process and prints one markdown table on stdout.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the benchmark and print a markdown table (build in release mode for real figures).",
        discussion: "Progress goes to stderr, the table to stdout. --smoke uses tiny sizes and checks nothing about time."
    )

    @Flag(help: "Tiny sizes, for CI: checks that everything runs, in well under a minute.")
    var smoke = false

    @Option(
        name: .customLong("only"), parsing: .upToNextOption,
        help: ArgumentHelp("Run only these figures (1 to \(Self.figures.upperBound)).", valueName: "n"))
    var only: [Int] = []

    @Option(help: ArgumentHelp("Where databases go (default: a new temporary directory, removed afterwards).", valueName: "dir"))
    var workDir: String?

    /// The figure numbers; 7 is a plan scoped to a pull request's changes.
    static let figures = 1...13

    func validate() throws {
        if let bad = only.first(where: { !Self.figures.contains($0) }) {
            throw ValidationError("--only takes figure numbers \(Self.figures.lowerBound) to \(Self.figures.upperBound), not \(bad)")
        }
    }

    func run() async throws {
        let sizes = smoke ? BenchSizes.smoke : BenchSizes.full
        let selected = Set(only.isEmpty ? Array(Self.figures) : only)
        let fm = FileManager.default
        let directory = workDir.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? fm.temporaryDirectory.appendingPathComponent("cogram-bench-\(getpid())", isDirectory: true)
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if workDir == nil { try? fm.removeItem(at: directory) } }

        var rows: [ResultRow] = []
        let bench = SandboxBench(sizes: sizes, directory: directory)
        if !selected.isDisjoint(with: [1, 2, 6, 7]) {
            rows += try await bench.readsApplyAndLatency(selected: selected)
        }
        if selected.contains(10) { rows += try await bench.fullReads() }
        if selected.contains(3) { rows += try await bench.throughput() }
        if selected.contains(4) { rows += try await OfflineBench.load(sizes: sizes) }
        if selected.contains(5) { rows += try await OfflineBench.diff(sizes: sizes) }
        if selected.contains(8) { rows += try await ValidationBench.errors(sizes: sizes) }
        if selected.contains(11) { rows += try await OffboardBench.offboard(sizes: sizes, directory: directory) }
        if selected.contains(12) { rows += try await AccessCostBench.cost(sizes: sizes) }
        if selected.contains(13) { rows += try await bench.organizations() }
        rows.sort { $0.number < $1.number }
        print(ResultRow.table(rows, smoke: smoke))
        if !smoke, rows.contains(where: { $0.met == false }) {
            progress("Some targets were missed (marked ✗ above).")
        }
    }
}

/// Writes a progress line to stderr.
func progress(_ line: String) {
    FileHandle.standardError.write(Data(("cogram-bench: " + line + "\n").utf8))
}

/// Every size the benchmark uses; `smoke` keeps CI fast.
struct BenchSizes: Sendable {
    var readProjects: Int
    var readMembers: Int
    var readUsers: Int
    var applyChangeFraction: Double
    var latencyMilliseconds: Int
    var throughputProjects: Int
    var throughputMembers: Int
    var throughputUsers: Int
    var throughputChanges: Int
    var throughputLimit: Int
    /// Also measure throughput with the client configured at the server's limit.
    var throughputBothConfigurations: Bool
    /// The large organization of figures 4, 5, 10 and 12 (10,000 × 20 in full).
    var loadProjects: Int
    var loadMembers: Int
    var loadUsers: Int
    var diffChangeFraction: Double
    /// Figure 8: the numbers of errors in the manifests validated.
    var validationErrors: [Int]
    /// Figure 11: per-project files that `offboard` edits.
    var offboardFiles: Int
    var repetitions: Int

    static let full = BenchSizes(
        readProjects: 2000, readMembers: 10, readUsers: 1000, applyChangeFraction: 0.1, latencyMilliseconds: 20,
        throughputProjects: 1000, throughputMembers: 10, throughputUsers: 500, throughputChanges: 400,
        throughputLimit: 600, throughputBothConfigurations: true,
        loadProjects: 10_000, loadMembers: 20, loadUsers: 2000, diffChangeFraction: 0.1,
        validationErrors: [10_000, 20_000], offboardFiles: 2000, repetitions: 3)

    static let smoke = BenchSizes(
        readProjects: 50, readMembers: 10, readUsers: 100, applyChangeFraction: 0.2, latencyMilliseconds: 20,
        throughputProjects: 50, throughputMembers: 5, throughputUsers: 50, throughputChanges: 40,
        throughputLimit: 6000, throughputBothConfigurations: false,
        loadProjects: 200, loadMembers: 20, loadUsers: 100, diffChangeFraction: 0.1,
        validationErrors: [300], offboardFiles: 20, repetitions: 1)
}

/// One line of the result table.
struct ResultRow: Sendable {
    var number: Int
    var figure: String
    var measured: String
    var target: String
    /// nil when there is no target to meet (a detail row).
    var met: Bool?
    var detail: String

    static func table(_ rows: [ResultRow], smoke: Bool) -> String {
        var out = "| # | figure | measured | target | met | detail |\n|---|---|---|---|---|---|\n"
        for row in rows {
            // Smoke sizes say nothing about the targets; CI must not read a ✗ there as a failure.
            let met = smoke ? "n/a" : row.met.map { $0 ? "✓" : "✗" } ?? ""
            out += "| \(row.number) | \(row.figure) | \(row.measured) | \(row.target) | \(met) | \(row.detail) |\n"
        }
        if smoke { out += "\nSmoke sizes: the figures show that everything runs, not how fast.\n" }
        return out
    }
}

func ratio(_ value: Double) -> String { String(format: "%.2f", value) }
