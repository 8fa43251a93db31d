import ArgumentParser
import CogramAPI
import CogramPlan
import Foundation

/// `cogramctl apply PATH…` (plan, confirm, apply) or `cogramctl apply PLANFILE` (apply exactly a saved plan).
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make Cogram match the manifests, or apply exactly a saved plan.",
        discussion: """
            With manifests: plans, shows the plan, asks for confirmation on a terminal (without a terminal, \
            --auto-approve is required), then applies. With one saved plan file (from `plan --out`): checks that \
            it has not expired, was made for this API, and that nothing it relies on has moved, then applies it. \
            Exit status: 0 applied (or nothing to do), 1 a change failed or an error stopped it, 3 saved plan stale \
            or expired (nothing applied), 4 refused by a safety cap (nothing applied).
            """
    )

    @Argument(help: ArgumentHelp("Manifest files or directories, or one saved plan file.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @OptionGroup var planning: PlanningOptions
    @OptionGroup var changedSince: ChangedSinceOption
    @OptionGroup var sandbox: SandboxSelection
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        if paths.count == 1, let saved = try savedPlan(at: paths[0]) {
            try await applySaved(saved)
        } else {
            try await applyManifests()
        }
    }

    // MARK: - From manifests

    private func applyManifests() async throws {
        let (desired, digest, sources) = try Planning.load(paths)
        let scope = try changedSince.scope(paths: paths, desired: desired, targets: planning.targets)
        let code: Int32 = try await Backend.withClient(
            connection: connection, sandbox: sandbox, manifestPaths: paths, desired: desired,
            requestsPerMinute: planning.requestsPerMinute,
            parallelism: planning.parallelism
        ) { client, identity in
            let plan = try await Planning.plan(
                desired: desired, client: client, options: planning.planOptions(apiURL: identity.apiURL, digest: digest),
                parallelism: planning.parallelism, verbose: connection.verbose, scope: scope)
            try Planning.reportErrors(plan, sources: sources)
            Terminal.writeOutput(renderHuman(plan, color: Terminal.stdoutColor) + "\n")
            if plan.isEmpty { return 0 }
            if !plan.safetyViolations.isEmpty {
                Planning.reportSafety(plan.safetyViolations, asErrors: true)
                Terminal.writeError("Apply refused by the safety caps; nothing was changed.\n")
                return 4
            }
            guard try confirm() else {
                Terminal.writeError("Apply cancelled; nothing was changed.\n")
                return 1
            }
            return await execute(plan, client: client)
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Asks on a terminal; refuses without one unless `--auto-approve`.
    private func confirm() throws -> Bool {
        if autoApprove { return true }
        guard Terminal.stdinIsTerminal else {
            throw CLIError("refusing to apply without confirmation: standard input is not a terminal. Review the plan and pass --auto-approve, or save it with `plan --out FILE` and run `apply FILE`.")
        }
        Terminal.writeError("\nDo you want to apply these changes? Only 'yes' will be accepted: ")
        return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
    }

    // MARK: - A saved plan

    /// The plan in `path` when it is a saved plan (JSON of kind `cogramctl-plan`); nil for manifests.
    private func savedPlan(at path: String) throws -> Plan? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path),
              data.first(where: { !(" \t\r\n".utf8.contains($0)) }) == UInt8(ascii: "{")
        else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object["kind"] != nil || object["format_version"] != nil
        else { return nil }
        do {
            return try Plan.load(from: data)
        } catch {
            throw CLIError("\(path) is not a plan this cogramctl can apply: \(error)")
        }
    }

    private func applySaved(_ plan: Plan) async throws {
        let code: Int32 = try await Backend.withClient(
            connection: connection, sandbox: try sandbox.forSavedPlan(apiURL: plan.apiURL), manifestPaths: [],
            requestsPerMinute: planning.requestsPerMinute,
            parallelism: planning.parallelism
        ) { client, identity in
            do {
                try plan.validateForApply(apiURL: identity.apiURL)
            } catch {
                Terminal.writeError("error: \(error)\nNothing was changed.\n")
                return 3
            }
            Terminal.writeOutput(renderHuman(plan, color: Terminal.stdoutColor) + "\n")
            if plan.isEmpty { return 0 }
            let violations = safetyViolations(plan: plan, options: planning.planOptions(apiURL: identity.apiURL, digest: plan.manifestDigest))
            if !violations.isEmpty {
                Planning.reportSafety(violations, asErrors: true)
                Terminal.writeError("Apply refused by the safety caps; nothing was changed.\n")
                return 4
            }
            let moved = try await checkPreconditions(plan: plan, client: client, parallelism: planning.parallelism)
            if !moved.isEmpty {
                var text = "error: the saved plan is stale: \(plural(moved.count, "thing")) changed in Cogram since it was made:\n"
                for failure in moved { text += "  - \(failure)\n" }
                text += "Nothing was changed. Run `cogramctl plan` again and review the new plan.\n"
                Terminal.writeError(text)
                return 3
            }
            return await execute(plan, client: client)
        }
        if code != 0 { throw ExitCode(code) }
    }

    // MARK: - Executing

    /// Applies with progress and Ctrl-C handling, prints the report, and returns the exit status.
    private func execute(_ plan: Plan, client: CogramClient) async -> Int32 {
        let stop = StopFlag()
        let interrupts = InterruptHandler(stop: stop)
        interrupts.install()
        defer { interrupts.uninstall() }
        let deadlineWatch = connection.stopAtDeadline(stop)
        defer { deadlineWatch?.cancel() }
        let progress = ProgressReporter(total: plan.changes.count, terminal: Terminal.stderrIsTerminal)
        let report = await CogramPlan.apply(
            plan: plan, client: client, parallelism: planning.parallelism, stop: stop,
            progress: { progress.record($0) })
        progress.finish()
        Terminal.writeOutput(renderReport(report, color: Terminal.stdoutColor))
        if connection.verbose {
            let count = await client.requestCount
            Terminal.writeError("Sent \(plural(count.total, "request")) (\(count.writes) writes, \(count.retries) retries, \(count.rateLimited) rate-limited).\n")
        }
        if report.interrupted {
            Terminal.writeError("Interrupted: the changes marked skipped were not applied. Run apply again to finish.\n")
        } else if !report.succeeded {
            Terminal.writeError("Some changes failed; the others were applied. Fix the cause and run apply again: it only does what is left.\n")
        }
        return report.succeeded && !report.interrupted ? 0 : 1
    }
}
