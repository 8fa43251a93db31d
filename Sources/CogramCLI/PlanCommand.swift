import ArgumentParser
import CogramManifest
import CogramPlan
import Foundation

/// `cogramctl plan PATH…`: read Cogram and print what apply would change.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Read Cogram and show what apply would change.",
        discussion: """
            Exit status: 0 success (with --detailed-exitcode: 0 no changes, 2 changes present), 1 error, 4 apply \
            would refuse the plan under the safety caps as given (the cap flags given here are saved in the plan). \
            With GITHUB_STEP_SUMMARY set, the Markdown rendering (or why planning failed) is appended there too; \
            with GITHUB_OUTPUT set, the outputs has-changes, change-count, destructive (an archive, a member \
            removal or a role lowered), access-removed (memberships removed) and, with --out, plan-file.
            """
    )

    @Argument(help: ArgumentHelp("Manifest files or directories.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("Save the plan to this file, for `cogramctl apply FILE`.", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Output format.", valueName: "human|json|markdown"))
    var format: PlanFormat = .human

    @Flag(help: "Exit 0 when there are no changes and 2 when there are.")
    var detailedExitcode = false

    @Option(help: ArgumentHelp("How long a saved plan stays valid (e.g. 90m, 24h, 7d).", valueName: "duration"))
    var expiresIn = "24h"

    @OptionGroup var planning: PlanningOptions
    @OptionGroup var organizations: OrganizationSelection
    @OptionGroup var changedSince: ChangedSinceOption
    @OptionGroup var sandbox: SandboxSelection
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try changedSince.validate(targets: planning.targets)
        guard let validity = parseDuration(expiresIn) else {
            throw ValidationError("--expires-in takes a duration such as 90m, 24h or 7d, not '\(expiresIn)'")
        }
        guard validity <= Plan.maximumValidity else {
            throw ValidationError("--expires-in may be at most 7d: a saved plan is a standing permission to write")
        }
    }

    func run() async throws {
        do {
            try await makePlan()
        } catch let exit as ExitCode {
            // Exit statuses carry no message: what failed was reported (and summarised) where it was found.
            throw exit
        } catch {
            GitHubActions.appendStepSummary(Planning.failureMarkdown(command: "plan", error))
            throw error
        }
    }

    private func makePlan() async throws {
        let loaded = ManifestLoader().loadOrganizations(paths: paths)
        if loaded.isValid, loaded.organizations.count > 1 {
            return try await makePlanSet(try organizations.select(loaded), loaded: loaded)
        }
        if loaded.isValid, !organizations.names.isEmpty { _ = try organizations.select(loaded) }
        let (desired, sources) = try Planning.load(loaded, paths: paths, command: "plan", verbose: connection.verbose)
        let fingerprint = Planning.fingerprint(sources, paths: paths)
        let scope = try await changedSince.scope(paths: paths, desired: desired)
        let validity = parseDuration(expiresIn) ?? 86400
        let keySource = connection.keySource(variable: desired.organization?.apiKeyEnv, sandbox: sandbox.isEnabled)
        // Signed only where the plan can be read back: the file of --out and the JSON document (which apply also
        // takes). Printed for a reader, the signature would be computed over the whole document and dropped.
        let signs = out != nil || format == .json
        let plan = try await Backend.withClient(
            connection: connection, sandbox: sandbox, manifestPaths: paths, desired: desired,
            requestsPerMinute: planning.reading.requestsPerMinute,
            parallelism: planning.reading.parallelism
        ) { client, identity in
            let plan = try await Planning.plan(
                desired: desired, client: client,
                options: planning.planOptions(
                    apiURL: identity.apiURL, digest: fingerprint.digest, files: fingerprint.files,
                    validity: validity),
                parallelism: planning.reading.parallelism, verbose: connection.verbose, scope: scope,
                keySource: keySource)
            return plan.errors.isEmpty && signs ? try plan.signed(with: planSigningKey(client: client)) : plan
        }
        try Planning.reportErrors(plan, sources: sources, command: "plan")
        if desired.organization == nil {
            Terminal.writeError("warning: \(OrganizationHeader.notBoundNote)\n")
        }
        Terminal.writeOutput(rendered: try format.render(plan))
        Planning.reportSafety(plan.safetyViolations, asErrors: false)
        if let out {
            try Self.save(plan.jsonData, to: out, what: "the plan")
            // A sandbox plan checked without COGRAM_PLAN_KEY needs its database named: apply never takes the key
            // from a database the file names.
            var command = "cogramctl apply \(out)"
            if case .sandbox(let path)? = BackendIdentity(apiURL: plan.apiURL),
               (Terminal.environment["COGRAM_PLAN_KEY"] ?? "").isEmpty {
                command += " --sandbox=\(Backend.relativePath(path))"
            }
            Terminal.writeError("Saved the plan to \(out) (valid until \(plan.expiresAt)). Apply exactly this plan with: \(command)\n")
        }
        GitHubActions.appendStepSummary(renderMarkdown(plan))
        var outputs = [("has-changes", String(!plan.isEmpty)), ("change-count", String(plan.changes.count))]
        outputs += [("destructive", String(plan.isDestructive)), ("access-removed", String(plan.accessRemovedCount))]
        if let out { outputs.append(("plan-file", out)) }
        GitHubActions.setOutputs(outputs)
        // A plan that apply would refuse fails here too, so that a pull-request check fails where the deploy would.
        if !plan.safetyViolations.isEmpty { throw ExitCode(4) }
        if detailedExitcode, !plan.isEmpty { throw ExitCode(2) }
    }

    /// Writes a saved plan or plan set, readable by its owner only (it names the organization and the API URL).
    static func save(_ document: () throws -> Data, to out: String, what: String) throws {
        do {
            try writePrivateFile(document(), to: URL(fileURLWithPath: out))
        } catch {
            throw CLIError("cannot write \(what) to \(out): \(error.localizedDescription)")
        }
    }
}
