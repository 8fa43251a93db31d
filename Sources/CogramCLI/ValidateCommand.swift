import ArgumentParser
import CogramManifest
import CogramPlan
import Foundation

/// `cogramctl validate PATH...`: offline load and check; exit 0 valid, 1 invalid.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Load and check manifests offline (no network).",
        discussion: """
            Directories are searched recursively for *.yaml and *.yml files, in sorted order; hidden files and \
            folders (.git, .github, .cogram, any .name) are skipped. Every problem is \
            reported, each as 'path:line:col: error: message' with the source line. Entries whose 'expires' date \
            has passed (UTC) are warnings and count as absent for the policies. With --format sarif, stdout \
            gets a SARIF 2.1.0 log of every finding (for code scanning) and the diagnostics still go to stderr. \
            Exit status: 0 valid, 1 invalid.
            """
    )

    @Argument(help: ArgumentHelp("Manifest files or directories.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp(
        "Print at most this many diagnostics, then how many more there are (0: print them all).", valueName: "n"))
    var maxDiagnostics: Int = DiagnosticReporter.defaultLimit

    @Flag(name: .customLong("verbose"), help: "List on stderr the hidden files and folders that were skipped.")
    var verbose = false

    @Option(help: ArgumentHelp(
        "human: diagnostics on stderr and a summary on stdout; sarif: a SARIF 2.1.0 log on stdout, file paths relative to the current directory.",
        valueName: "format"))
    var format: ValidateFormat = .human

    func validate() throws {
        guard maxDiagnostics >= 0 else { throw ValidationError("--max-diagnostics must be 0 (all) or more") }
    }

    func run() async throws {
        // Expiry is judged as of today (UTC): expired entries are warnings and count as absent for the policies.
        var result = ManifestLoader(today: CalendarDay.today()).load(paths: paths)
        if verbose { Planning.reportSkipped(result) }
        if result.isValid, let desired = result.desired {
            result.diagnostics = (result.diagnostics + EmailTypos.check(desired)).sortedByLocation()
        }
        if format == .sarif {
            let log = SARIFLog(
                diagnostics: result.diagnostics, toolVersion: cogramctlVersion,
                base: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            Terminal.writeOutput(rendered: String(decoding: try log.jsonData(), as: UTF8.self))
        }
        // GitHub annotations go to stdout, which holds the SARIF log in that format.
        try DiagnosticReporter.check(
            result, limit: maxDiagnostics == 0 ? nil : maxDiagnostics,
            annotate: format == .human && Terminal.inGitHubActions)
        guard let desired = result.desired else { throw ExitCode(1) }
        let members = desired.projects.reduce(0) { $0 + ($1.members?.count ?? 0) }
        let groups = desired.groups.isEmpty ? "" : ", \(plural(desired.groups.count, "group"))"
        let summary: TerminalMessage = "Valid: \(plural(desired.files.count, "file")), \(plural(desired.projects.count, "project")), "
            + "\(plural(members, "membership")), \(plural(desired.users.count, "user"))\(groups).\n"
        if format == .sarif { Terminal.writeError(summary) } else { Terminal.writeOutput(summary) }
    }
}

enum ValidateFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case human, sarif
}
