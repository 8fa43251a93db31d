import ArgumentParser
import CogramAPI
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
        var result = ManifestLoader(today: CalendarDay.today()).loadOrganizations(paths: paths)
        if verbose {
            for path in result.skipped { Terminal.writeError("skipped \(SafeText.clean(path, limit: 300)) (hidden)\n") }
        }
        if result.isValid {
            let typos = result.organizations.flatMap { EmailTypos.check($0.desired) }
            result.diagnostics = (result.diagnostics + typos).sortedByLocation()
        }
        if format == .sarif {
            let log = SARIFLog(
                diagnostics: result.diagnostics, toolVersion: cogramctlVersion,
                base: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            Terminal.writeOutput(rendered: String(decoding: try log.jsonData(), as: UTF8.self))
        }
        // GitHub annotations go to stdout, which holds the SARIF log in that format.
        try DiagnosticReporter.check(
            result.diagnostics, sources: result.sources, limit: maxDiagnostics == 0 ? nil : maxDiagnostics,
            failed: !result.isValid, annotate: format == .human && Terminal.inGitHubActions)
        guard result.isValid else { throw ExitCode(1) }
        let summary = Self.summary(result.organizations)
        if format == .sarif { Terminal.writeError(summary) } else { Terminal.writeOutput(summary) }
    }

    /// `Valid: 2 files, 3 projects, …`; with several organizations their names first and totals over them.
    static func summary(_ organizations: [LoadedOrganization]) -> TerminalMessage {
        let states = organizations.map(\.desired)
        let files = states.reduce(0) { $0 + $1.files.count }
        let projects = states.reduce(0) { $0 + $1.projects.count }
        let members = states.reduce(0) { total, desired in desired.projects.reduce(total) { $0 + ($1.members?.count ?? 0) } }
        let users = states.reduce(0) { $0 + $1.users.count }
        let groupCount = states.reduce(0) { $0 + $1.groups.count }
        let groups = groupCount == 0 ? "" : ", \(plural(groupCount, "group"))"
        // Organization names come from the manifests: inserted into the message, they are escaped.
        let names: TerminalMessage = organizations.count > 1
            ? "\(plural(organizations.count, "organization")) (\(organizations.compactMap(\.name).joined(separator: ", "))), "
            : ""
        return "Valid: " + names + "\(plural(files, "file")), \(plural(projects, "project")), "
            + "\(plural(members, "membership")), \(plural(users, "user"))\(groups).\n"
    }
}

enum ValidateFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case human, sarif
}
