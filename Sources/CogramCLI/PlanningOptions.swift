import ArgumentParser
import CogramAPI
import CogramManifest
import CogramPlan
import Foundation

/// Options that shape a plan: scope, concurrency and the safety caps. Shared by `plan` and `apply`.
struct PlanningOptions: ParsableArguments {
    @Option(name: .customLong("target"), help: ArgumentHelp("Limit reads and changes to this project, by external id or address (project.<external_id>); repeatable.", valueName: "external-id"))
    var targets: [String] = []

    @OptionGroup var reading: ReadOptions

    @Flag(help: "Allow archiving more than \(SafetyCap.archive.formula) of the managed active projects.")
    var allowMassArchive = false

    @Option(help: ArgumentHelp("Raise the archive cap to this many projects.", valueName: "n"))
    var maxArchive: Int?

    @Flag(help: "Allow removing more than \(SafetyCap.memberRemoval.formula) of the managed memberships.")
    var allowMassMemberRemoval = false

    @Option(help: ArgumentHelp("Raise the member-removal cap to this many removals.", valueName: "n"))
    var maxMemberRemovals: Int?

    @Flag(help: "Allow leaving a managed project with members but no owner.")
    var allowNoOwner = false

    @OptionGroup var expiry: ExpiryWarningOption

    init() {}

    func validate() throws {
        if let maxArchive, maxArchive < 0 { throw ValidationError("--max-archive must not be negative") }
        if let maxMemberRemovals, maxMemberRemovals < 0 { throw ValidationError("--max-member-removals must not be negative") }
    }

    func planOptions(
        apiURL: String, digest: String, files: [String: String]? = nil, validity: TimeInterval = 24 * 3600
    ) -> PlanOptions {
        var options = PlanOptions(
            toolVersion: Cogramctl.version, apiURL: apiURL, manifestDigest: digest, now: Date(), validity: validity,
            targets: targets.isEmpty ? nil : Set(targets),
            allowMassArchive: allowMassArchive, maxArchive: maxArchive,
            allowMassMemberRemoval: allowMassMemberRemoval, maxMemberRemovals: maxMemberRemovals,
            allowNoOwner: allowNoOwner)
        options.manifestFiles = files
        options.expiryWarningDays = expiry.expiryWarning
        return options
    }
}

/// The shared pipeline of `plan` and `apply PATH…`: manifests → desired → observed → plan.
enum Planning {
    /// Loads and checks the manifests; prints diagnostics (and summarises them for `command`) and throws exit 1
    /// when invalid. The fingerprint is the caller's to take, once (`fingerprint`): it hashes every byte twice.
    static func load(_ paths: [String], command: String, verbose: Bool = false) throws -> (DesiredState, [SourceFile]) {
        try load(ManifestLoader().loadOrganizations(paths: paths), paths: paths, command: command, verbose: verbose)
    }

    /// `load` of what `loadOrganizations` read already, as one organization.
    static func load(
        _ organizations: OrganizationLoadResult, paths: [String], command: String, verbose: Bool = false
    ) throws -> (DesiredState, [SourceFile]) {
        let result = organizations.single
        if verbose { reportSkipped(result) }
        try DiagnosticReporter.check(result, command: command)
        guard let desired = result.desired else { throw ExitCode(1) }
        return (desired, result.sources)
    }

    /// The manifests' digest and `manifest_files`, over contents and paths relative to the path arguments.
    static func fingerprint(_ sources: [SourceFile], paths: [String]) -> (digest: String, files: [String: String]) {
        ManifestDigest.fingerprint(files: sources.map { ($0.path, Data($0.bytes)) }, roots: paths)
    }

    /// Under `--verbose`: the hidden files and folders a directory held, which were not read.
    static func reportSkipped(_ result: LoadResult) {
        for path in result.skipped {
            Terminal.writeError("skipped \(SafeText.clean(path, limit: 300)) (hidden)\n")
        }
    }

    /// Reads Cogram and plans. With `verbose`, reports how many requests the reads took.
    static func plan(
        desired: DesiredState, client: some CogramClientProtocol, options: PlanOptions, parallelism: Int, verbose: Bool,
        scope: ProjectScope? = nil, keySource: String
    ) async throws -> Plan {
        let progress = ReadingProgress()
        progress.start()
        var (plan, observed) = try await readAndPlan(
            desired: desired, client: client, options: options, scope: scope, parallelism: parallelism,
            progress: { progress.record($0) })
        progress.finish()
        // Before anything is printed or written: a key of another organization stops everything.
        do {
            try checkAnchor(organization: desired.organization, users: observed.users, keySource: keySource)
        } catch {
            Terminal.writeError("error: \(error)\n")
            throw ExitCode(1)
        }
        plan.keySource = keySource
        if verbose {
            Terminal.writeError(rendered: observed.readSummary(await client.requestCount))
        }
        return plan
    }

    /// Prints plan errors (unknown or deactivated emails) with their manifest lines; throws exit 1 if any.
    static func reportErrors(_ plan: Plan, sources: [SourceFile], command: String) throws {
        let diagnostics = plan.errors.map { error in
            var adapted = error
            adapted.message = Backend.adapted(error.message, apiURL: plan.apiURL)
            return adapted
        }
        try DiagnosticReporter.check(
            diagnostics, sources: sources, limit: nil, during: "while planning", command: command)
    }

    /// The step summary of a command that stopped on an error other than a diagnostic (Cogram unreachable, a
    /// refused key, …).
    static func failureMarkdown(command: String, _ error: any Error) -> String {
        CogramPlan.failureMarkdown(command: command, error)
    }

    /// Prints what the safety caps say about the plan, as warnings (`plan`) or errors (`apply`).
    static func reportSafety(_ violations: [SafetyViolation], asErrors: Bool) {
        guard !violations.isEmpty else { return }
        let label = asErrors ? "error" : "warning"
        var text: TerminalMessage = ""
        for violation in violations {
            text += "\(label): \(violation.message); allow it with \(violation.flag)\n"
        }
        if !asErrors {
            text += "apply would refuse this plan (exit 4). If it is intended, plan again with those flags: they are saved in the plan and apply honours them.\n"
        }
        Terminal.writeError(text)
    }
}

/// The key that signs saved plans (`plan`) and checks them (`apply PLANFILE`): `COGRAM_PLAN_KEY` when set, else
/// derived from the API key (for the embedded sandbox, the key its runs reuse for that database).
func planSigningKey(client: CogramClient) -> PlanSigningKey {
    PlanSigningKey.resolve(environment: Terminal.environment) {
        .derived(fromAPIKey: client.configuration.apiKey.unredactedValue)
    }
}

/// `--format human|json|markdown`.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case human, json, markdown

    func render(_ plan: Plan) throws -> String {
        switch self {
        case .human: renderHuman(plan, color: Terminal.stdoutColor) + "\n"
        case .json: String(decoding: try plan.jsonData(), as: UTF8.self) + "\n"
        case .markdown: renderMarkdown(plan)
        }
    }
}
