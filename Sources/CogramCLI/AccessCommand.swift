import ArgumentParser
import CogramAPI
import CogramManifest
import CogramPlan
import Foundation

/// `cogramctl access [PATH…]`: who has access to what, for access reviews; the logic is `makeAccessReport` in
/// CogramPlan. Reads only.
struct AccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access",
        abstract: "Report who has access to which project, and which manifest entry grants it (reads only).",
        discussion: """
            Reads the whole organization (every project, user and member list) and prints one row per (user, \
            project) membership with the manifest entry that grants it (file:line), 'unmanaged' or 'not in \
            manifests' (pending removal); users that no manifest names, offboarded people who still have access, and \
            entries that expire soon. Without PATH every membership is 'unmanaged'. Never writes to Cogram. Exit \
            status: 0 success, 1 error (including a key of another organization than the manifests' anchor).
            """
    )

    @Argument(help: ArgumentHelp("Manifest files or directories (optional).", valueName: "path"))
    var paths: [String] = []

    @Option(help: ArgumentHelp("Output format.", valueName: "human|markdown|csv|json"))
    var format: AccessFormat = .human

    @Option(name: .customLong("user"), help: ArgumentHelp("Only this person's rows (repeatable).", valueName: "email"))
    var users: [String] = []

    @OptionGroup var expiry: ExpiryWarningOption

    @OptionGroup var reading: ReadOptions

    @OptionGroup var sandbox: SandboxSelection
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        for user in users where !ManifestEmail.isPlausible(user) {
            throw ValidationError("--user '\(user)' is not an email address")
        }
    }

    func run() async throws {
        let today = CalendarDay.today()
        var desired = DesiredState()
        if !paths.isEmpty {
            (desired, _, _) = try Planning.load(paths, command: "access", verbose: connection.verbose)
        }
        let base = ManifestPathBase(directories: desired.organization.map { [$0.root] } ?? paths.map(Self.folder))
        let keySource = connection.keySource(variable: desired.organization?.apiKeyEnv, sandbox: sandbox.isEnabled)
        let report = try await Backend.withClient(
            connection: connection, sandbox: sandbox, manifestPaths: paths, desired: paths.isEmpty ? nil : desired,
            requestsPerMinute: reading.requestsPerMinute, parallelism: reading.parallelism
        ) { client, identity in
            let progress = ReadingProgress()
            progress.start()
            let observed: ObservedState
            do {
                defer { progress.finish() }
                observed = try await readFullObservedState(
                    client: client, parallelism: reading.parallelism, progress: { progress.record($0) })
            }
            try checkAnchor(organization: desired.organization, users: observed.users, keySource: keySource)
            if connection.verbose {
                let count = await client.requestCount
                Terminal.writeError(
                    "Read Cogram with \(plural(count.total, "request")) (\(count.retries) retries, \(count.rateLimited) rate-limited): "
                        + "\(plural(observed.projects.count, "project")), \(plural(observed.users.count, "user")), "
                        + "member lists of \(plural(observed.members.count, "project")).\n")
            }
            var report = makeAccessReport(
                evaluation: desired.evaluated(asOf: today, warningWindow: expiry.expiryWarning), desired: desired,
                observed: observed, apiURL: identity.apiURL, base: base, users: users.isEmpty ? nil : Set(users))
            report.keySource = keySource
            return report
        }
        Terminal.writeOutput(renderedBytes: try format.render(report))
    }

    /// A path argument's folder: a directory itself, a file's folder.
    static func folder(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return path }
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }
}

/// `--format human|markdown|csv|json` of `access`.
enum AccessFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case human, markdown, csv, json

    /// The report's bytes: the JSON document is written as bytes and goes out as they are, without a round trip
    /// through `String` (tens of megabytes for a large organization).
    func render(_ report: AccessReport) throws -> Data {
        switch self {
        case .human: Data(renderHuman(report).utf8)
        case .markdown: Data(renderMarkdown(report).utf8)
        case .csv: Data(renderCSV(report).utf8)
        case .json: try report.jsonData()
        }
    }
}
