import ArgumentParser
import CogramManifest

/// `cogramctl validate PATH...`: offline load and check; exit 0 valid, 1 invalid.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Load and check manifests offline (no network).",
        discussion: """
            Directories are searched recursively for *.yaml and *.yml files, in sorted order. Every problem is \
            reported, each as 'path:line:col: error: message' with the source line. Exit status: 0 valid, 1 invalid.
            """
    )

    @Argument(help: ArgumentHelp("Manifest files or directories.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp(
        "Print at most this many diagnostics, then how many more there are (0: print them all).", valueName: "n"))
    var maxDiagnostics: Int = ManifestReporting.defaultLimit

    func validate() throws {
        guard maxDiagnostics >= 0 else { throw ValidationError("--max-diagnostics must be 0 (all) or more") }
    }

    func run() async throws {
        let result = ManifestLoader().load(paths: paths)
        try ManifestReporting.report(result, limit: maxDiagnostics == 0 ? nil : maxDiagnostics)
        guard let desired = result.desired else { throw ExitCode(1) }
        let members = desired.projects.reduce(0) { $0 + ($1.members?.count ?? 0) }
        Terminal.writeOutput(
            "Valid: \(plural(desired.files.count, "file")), \(plural(desired.projects.count, "project")), "
                + "\(plural(members, "membership")), \(plural(desired.users.count, "user")).\n")
    }
}

/// Shared by every command that loads manifests: diagnostics to stderr, GitHub annotations when in Actions.
enum ManifestReporting {
    /// Diagnostics printed before the rest are only counted: the first ones are those to fix first, and
    /// printing tens of thousands buries them.
    static let defaultLimit = 100

    /// Prints the load's diagnostics (at most `limit`, nil for all); throws `ExitCode(1)` when it has errors.
    static func report(_ result: LoadResult, limit: Int? = defaultLimit) throws {
        if !result.diagnostics.isEmpty {
            let renderer = DiagnosticRenderer(sources: result.sources, color: Terminal.stderrColor)
            let shown = limit.map { Array(result.diagnostics.prefix($0)) } ?? result.diagnostics
            Terminal.writeError(renderer.render(shown))
            if shown.count < result.diagnostics.count {
                Terminal.writeError(DiagnosticRenderer.omitted(result.diagnostics.dropFirst(shown.count))
                    + " (cogramctl validate --max-diagnostics 0 prints them all)\n")
            }
            if Terminal.inGitHubActions {
                Terminal.writeOutput(shown.map { DiagnosticRenderer.githubAnnotation($0) + "\n" }.joined())
            }
        }
        if !result.isValid {
            let count = result.diagnostics.filter { $0.severity == .error }.count
            Terminal.writeError("\(plural(count, "error")) found; nothing was changed.\n")
            throw ExitCode(1)
        }
    }
}

func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
