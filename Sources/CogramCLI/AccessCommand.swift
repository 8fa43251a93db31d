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

    @OptionGroup var organizations: OrganizationSelection
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
            let loaded = ManifestLoader().loadOrganizations(paths: paths)
            if loaded.isValid, loaded.organizations.count > 1 {
                return try await reportOrganizations(try organizations.select(loaded), today: today)
            }
            if loaded.isValid, !organizations.names.isEmpty { _ = try organizations.select(loaded) }
            (desired, _) = try Planning.load(loaded, paths: paths, command: "access", verbose: connection.verbose)
        }
        let base = desired.organization.map { ManifestPathBase(directories: [$0.root]) } ?? ManifestPathBase(pathArguments: paths)
        let keySource = connection.keySource(variable: desired.organization?.apiKeyEnv, sandbox: sandbox.isEnabled)
        let report = try await Backend.withClient(
            connection: connection, sandbox: sandbox, manifestPaths: paths, desired: paths.isEmpty ? nil : desired,
            requestsPerMinute: reading.requestsPerMinute, parallelism: reading.parallelism
        ) { client, identity in
            let progress = ReadingProgress()
            progress.start()
            let read: (report: AccessReport, observed: ObservedState)
            do {
                defer { progress.finish() }
                read = try await readAccessReport(
                    desired: desired, client: client, apiURL: identity.apiURL, base: base, keySource: keySource,
                    parallelism: reading.parallelism, today: today, warningWindow: expiry.expiryWarning,
                    users: users.isEmpty ? nil : Set(users), progress: { progress.record($0) })
            }
            if connection.verbose { Terminal.writeError(rendered: read.observed.readSummary(await client.requestCount)) }
            return read.report
        }
        Terminal.writeOutput(renderedBytes: format.render(report))
        // The report is left to the process's exit rather than released: releasing 200,000 rows (1.8 million
        // strings) one by one was 1 % of the command's CPU (issue 21's benchmark).
        _ = Unmanaged.passRetained(Kept(report))
    }

    /// `access` over several organization roots: each organization read with its own key, all at once
    /// (`readAccess`); one report per organization, or nothing and exit 1 when any of them failed.
    private func reportOrganizations(_ selected: [LoadedOrganization], today: CalendarDay) async throws {
        let (parallelism, window, users) = (reading.parallelism, expiry.expiryWarning, users.isEmpty ? nil : Set(users))
        let results = try await Backend.withOrganizationClients(
            connection: connection, sandbox: sandbox, organizations: selected,
            requestsPerMinute: reading.requestsPerMinute, parallelism: parallelism
        ) { clients in
            await readAccess(clients.map(\.read), parallelism: parallelism, today: today, warningWindow: window, users: users)
        }
        let reports = try Planning.collect(
            results, of: selected, command: "access", notDone: "no report was printed", failure: "could not be read", plan: { _ in nil })
        Terminal.writeOutput(renderedBytes: format.render(AccessSet(reports)))
    }
}

extension AccessFormat: ExpressibleByArgument {}

/// A value kept alive until the process exits.
private final class Kept<Value> {
    let value: Value
    init(_ value: Value) { self.value = value }
}
