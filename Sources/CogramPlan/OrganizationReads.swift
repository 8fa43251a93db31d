import CogramAPI
import CogramCore
import CogramManifest
import Foundation

/// One organization of a read-only run over several (`drift`, `access`): its manifests, and the run that holds its
/// key and only its key.
public struct OrganizationRead<Client: CogramClientProtocol>: Sendable {
    public var organization: LoadedOrganization
    public var run: OrganizationRun<Client>
    /// The API URL as the reports show it.
    public var apiURL: String

    public init(organization: LoadedOrganization, client: Client, apiURL: String, keySource: String) {
        self.organization = organization
        run = OrganizationRun(
            name: organization.name ?? "unnamed", anchor: organization.organization?.anchor, client: client,
            keySource: keySource)
        self.apiURL = apiURL
    }

    /// Its root: where its report's paths are relative to and what the commands that end its drift name.
    public var root: String { organization.organization?.root ?? "." }
}

/// One organization's drift check, as `readDrift` gives it, with the options it planned with (for `--adopt`).
public struct DriftCheck: Sendable {
    public var organization: LoadedOrganization
    public var report: DriftReport
    public var plan: Plan
    public var observed: ObservedState
    public var options: PlanOptions

    /// Its root: what the commands that end its drift name, and where `--adopt` writes.
    public var root: String { organization.organization?.root ?? "." }
}

/// `drift` over several organizations: each read in full with its own client, its anchor checked before anything
/// is compared, all at once. Each organization plans with `options`, its own API URL and its own manifests' digest
/// (over paths relative to its root).
public func checkDrift<Client: CogramClientProtocol>(
    _ reads: [OrganizationRead<Client>], parallelism: Int, options: PlanOptions
) async -> [Swift.Result<DriftCheck, any Error>] {
    await OrganizationRuns.concurrently(reads) { read in
        var options = options
        options.apiURL = read.apiURL
        options.manifestDigest = read.organization.fingerprint.digest
        let (report, plan, observed) = try await readDrift(
            desired: read.organization.desired, client: read.run.client, options: options, parallelism: parallelism,
            keySource: read.run.keySource)
        return DriftCheck(organization: read.organization, report: report, plan: plan, observed: observed, options: options)
    }
}

/// `access` over several organizations: each read in full with its own client, its anchor checked before its
/// report is made, all at once. Paths in each report are relative to its organization's root.
public func readAccess<Client: CogramClientProtocol>(
    _ reads: [OrganizationRead<Client>], parallelism: Int, today: CalendarDay, warningWindow: Int, users: Set<String>?
) async -> [Swift.Result<AccessReport, any Error>] {
    await OrganizationRuns.concurrently(reads) { read in
        try await readAccessReport(
            desired: read.organization.desired, client: read.run.client, apiURL: read.apiURL,
            base: ManifestPathBase(directories: [read.root]), keySource: read.run.keySource, parallelism: parallelism,
            today: today, warningWindow: warningWindow, users: users).report
    }
}

/// Reads the organization in full and makes its access report: the whole of `access` but the printing. A key of
/// another organization (the anchor is not among its users) throws `AnchorMismatch` before the report is made.
public func readAccessReport(
    desired: DesiredState, client: some CogramClientProtocol, apiURL: String, base: ManifestPathBase, keySource: String,
    parallelism: Int, today: CalendarDay, warningWindow: Int, users: Set<String>?,
    progress: @escaping @Sendable (ObservedReadProgress) -> Void = { _ in }
) async throws -> (report: AccessReport, observed: ObservedState) {
    let observed = try await readFullObservedState(client: client, parallelism: parallelism, progress: progress)
    try checkAnchor(organization: desired.organization, users: observed.users, keySource: keySource)
    var report = makeAccessReport(
        evaluation: desired.evaluated(asOf: today, warningWindow: warningWindow), desired: desired, observed: observed,
        apiURL: apiURL, base: base, users: users)
    report.keySource = keySource
    return (report, observed)
}
