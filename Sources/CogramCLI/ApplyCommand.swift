import ArgumentParser
import CogramAPI
import CogramManifest
import CogramPlan
import Foundation

/// `cogramctl apply PATH…` (plan, confirm, apply) or `cogramctl apply PLANFILE` (apply exactly a saved plan).
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make Cogram match the manifests, or apply exactly a saved plan.",
        discussion: """
            With manifests: plans, shows the plan, asks for confirmation on a terminal (without a terminal, \
            --auto-approve is required), then applies. With one saved plan file (from `plan --out`): checks its \
            signature, that it has not expired, was made for this API, is consistent, that its targets are what \
            its addresses name and that nothing it relies on has moved, then applies it; with --manifests, also \
            that those manifests still produce it and, planned again, call for every change not already made \
            (changes already made count as done: applying a plan again finishes it). With GITHUB_STEP_SUMMARY set, a Markdown report is appended \
            there; with GITHUB_OUTPUT set, the outputs applied=N and failed=N. Exit status: 0 applied (or nothing \
            to do), 1 a change failed, an error stopped it or --deadline passed (no change started after it), 3 \
            saved plan stale, expired, unsigned, altered or made from other manifests (nothing applied), 4 \
            refused by a safety cap (nothing applied), 130 interrupted by SIGINT or SIGTERM (the changes in \
            flight were finished, no new one started). Over several organizations (a plan set, or manifests of several roots; --org to choose): each organization's plan checked before any is applied, then one organization after the other; the worst status of the organizations (130, 1, 4, 3, 2, 0).
            """
    )

    @Argument(help: ArgumentHelp("Manifest files or directories, or one saved plan file.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Option(help: ArgumentHelp("Report format: human, or json (one document on stdout: every change with its outcome; the plan is then shown only to confirm).", valueName: "human|json"))
    var format: ApplyFormat = .human

    @Option(parsing: .upToNextOption, help: ArgumentHelp("With a saved plan: the manifests it was made from; apply refuses (exit 3) when they no longer produce it or, planned again, do not call for one of its changes.", valueName: "path"))
    var manifests: [String] = []

    func validate() throws {
        try changedSince.validate(targets: planning.targets)
    }

    @OptionGroup var planning: PlanningOptions
    @OptionGroup var organizations: OrganizationSelection
    @OptionGroup var changedSince: ChangedSinceOption
    @OptionGroup var sandbox: SandboxSelection
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        if paths.count == 1, let set = try readPlanSet(paths[0]) {
            try await applySavedSet(set)
        } else if paths.count == 1, let saved = try savedPlan(at: paths[0]) {
            try await applySaved(saved)
        } else if !manifests.isEmpty {
            throw CLIError("--manifests goes with a saved plan file (`cogramctl apply PLANFILE --manifests PATH...`); \(paths.joined(separator: " ")) is not one")
        } else {
            try await applyManifests()
        }
    }

    // MARK: - From manifests

    private func applyManifests() async throws {
        let loaded = ManifestLoader().loadOrganizations(paths: paths)
        if loaded.isValid, loaded.organizations.count > 1 { return try await applyOrganizations(try organizations.select(loaded)) }
        if loaded.isValid, !organizations.names.isEmpty { _ = try organizations.select(loaded) }
        let (desired, sources) = try Planning.load(loaded, paths: paths, command: "apply", verbose: connection.verbose)
        let digest = Planning.fingerprint(sources, paths: paths).digest
        let scope = try await changedSince.scope(paths: paths, desired: desired)
        let keySource = connection.keySource(variable: desired.organization?.apiKeyEnv, sandbox: sandbox.isEnabled)
        let code: Int32 = try await Backend.withClient(
            connection: connection, sandbox: sandbox, manifestPaths: paths, desired: desired,
            requestsPerMinute: planning.reading.requestsPerMinute,
            parallelism: planning.reading.parallelism
        ) { client, identity in
            let plan = try await Planning.plan(
                desired: desired, client: client, options: planning.planOptions(apiURL: identity.apiURL, digest: digest),
                parallelism: planning.reading.parallelism, verbose: connection.verbose, scope: scope,
                keySource: keySource)
            try Planning.reportErrors(plan, sources: sources, command: "apply")
            show(plan)
            if plan.isEmpty { return try finishWithNothingToDo(plan) }
            if !plan.safetyViolations.isEmpty {
                Planning.reportSafety(plan.safetyViolations, asErrors: true)
                Terminal.writeError("Apply refused by the safety caps; nothing was changed.\n")
                return try notApplied(plan, .refused, reasons: plan.safetyViolations.map(\.description))
            }
            guard try confirm() else {
                Terminal.writeError("Apply cancelled; nothing was changed.\n")
                return 1
            }
            return try await execute(plan, client: client)
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Asks on a terminal; refuses without one unless `--auto-approve`.
    func confirm() throws -> Bool {
        if autoApprove { return true }
        guard Terminal.stdinIsTerminal else {
            throw CLIError("refusing to apply without confirmation: standard input is not a terminal. Review the plan and pass --auto-approve, or save it with `plan --out FILE` and run `apply FILE`.")
        }
        Terminal.writeError("\nDo you want to apply these changes? Only 'yes' will be accepted: ")
        return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
    }

    // MARK: - A saved plan

    /// The plan in `path` when it is a saved plan; nil for manifests.
    private func savedPlan(at path: String) throws -> Plan? {
        do {
            return try SavedPlanFile.load(path: path)
        } catch {
            throw CLIError(wrapping: error)
        }
    }

    private func applySaved(_ plan: Plan) async throws {
        // The database a plan names is opened only once the plan is known to be authentic, and the key that checks
        // it never comes from that database: with COGRAM_PLAN_KEY the signature is checked before anything is
        // opened; without it, the database must be named on the command line.
        var selection = sandbox
        if sandbox.databasePath == nil, case .sandbox(let path)? = BackendIdentity(apiURL: plan.apiURL) {
            guard let secret = Terminal.environment["COGRAM_PLAN_KEY"], !secret.isEmpty else {
                let reason = "the plan names the embedded sandbox database \(escapeForTerminal(path)); without COGRAM_PLAN_KEY its signature can only be checked with the key of a database you name: run `cogramctl apply PLANFILE --sandbox=DB` with the database it was made with"
                Terminal.writeError("error: \(reason)\nNothing was changed.\n")
                throw ExitCode(try notApplied(plan, .stale, reasons: [reason], verified: false))
            }
            do {
                try plan.verifySignature(with: .fromSecret(secret))
            } catch {
                Terminal.writeError("error: \(error)\nNothing was changed.\n")
                throw ExitCode(try notApplied(plan, .stale, reasons: ["\(error)"], verified: false))
            }
            selection = try sandbox.forSavedPlan(apiURL: plan.apiURL)
        }
        // The key of the organization the plan records (its `api_key_env`, checked by `Plan.load` to be a
        // variable a manifest could name); the anchor check below proves it reads that organization.
        let keyVariable = plan.organization?.apiKeyEnv
        let keySource = connection.keySource(variable: keyVariable, sandbox: selection.isEnabled)
        let plan = { var keyed = plan; keyed.keySource = keySource; return keyed }()
        let code: Int32 = try await Backend.withClient(
            connection: connection, sandbox: selection, manifestPaths: [], keyVariable: keyVariable,
            requestsPerMinute: planning.reading.requestsPerMinute,
            parallelism: planning.reading.parallelism
        ) { client, identity in
            let manifests = self.manifests.isEmpty ? nil : try replanning(client: client, apiURL: identity.apiURL)
            let verdict = try await SavedPlanVerification.verify(
                plan, key: planSigningKey(client: client), apiURL: identity.apiURL, manifests: manifests,
                options: planning.planOptions(apiURL: identity.apiURL, digest: plan.manifestDigest),
                client: client, parallelism: planning.reading.parallelism, keySource: keySource)
            return try await handle(verdict, of: plan, client: client)
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Reports a saved plan's verdict and, when it is ready, applies it; the exit status. `showing`: the plan is
    /// shown here (not shown already).
    func handle(
        _ verdict: SavedPlanVerification.Verdict, of plan: Plan, client: CogramClient, showing: Bool = true
    ) async throws -> Int32 {
        switch verdict {
        case .wrongOrganization(let mismatch):
            Terminal.writeError("error: \(mismatch)\n")
            GitHubActions.appendStepSummary(Planning.failureMarkdown(command: "apply", mismatch))
            GitHubActions.setOutputs([("applied", "0"), ("failed", "0")])
            return 1
        case .invalid(let reason):
            Terminal.writeError("error: \(reason)\nNothing was changed.\n")
            return try notApplied(plan, .stale, reasons: [reason], verified: false)
        case .nothingToDo(let alreadyDone):
            if alreadyDone > 0 {
                let what = alreadyDone == 1 ? "the plan's one change is" : "all \(alreadyDone) changes of this plan are"
                writeNote("Nothing to do: \(what) already made in Cogram.\n")
            } else if showing {
                show(plan)
            }
            return try finishWithNothingToDo(plan)
        case .refused(let violations):
            Planning.reportSafety(violations, asErrors: true)
            Terminal.writeError("Apply refused by the safety caps; nothing was changed.\n")
            return try notApplied(plan, .refused, reasons: violations.map(\.description))
        case .stale(let moved):
            Terminal.writeError(rendered: renderStale(moved))
            return try notApplied(plan, .stale, reasons: moved.map { "\($0)" })
        case .ready(let remaining, let alreadyDone):
            // Shown only once every check passed: a refused plan prints what is wrong with it, not the plan.
            if alreadyDone > 0 {
                writeNote("\(plural(alreadyDone, "change")) of this plan already made in Cogram (counted as done); applying the other \(remaining.changes.count).\n")
            }
            if showing { show(remaining) }
            return try await execute(remaining, client: client)
        }
    }

    /// The manifests of `--manifests`, loaded once, and the plan they make against Cogram now.
    func replanning(client: CogramClient, apiURL: String) throws -> SavedPlanVerification.Manifests {
        let paths = manifests
        let (desired, sources) = try Planning.load(paths, command: "apply")
        let (digest, files) = Planning.fingerprint(sources, paths: paths)
        let options = planning.planOptions(apiURL: apiURL, digest: digest)
        let parallelism = planning.reading.parallelism
        let keySource = connection.keySource(variable: desired.organization?.apiKeyEnv, sandbox: sandbox.isEnabled)
        return SavedPlanVerification.Manifests(paths: paths, digest: { digest }, files: files) {
            try await Planning.plan(
                desired: desired, client: client, options: options, parallelism: parallelism, verbose: false, keySource: keySource)
        }
    }

    // MARK: - Output

    /// The plan about to be applied: on stdout in the human format; with `--format json` on stderr, and only when
    /// someone is asked to confirm it.
    func show(_ plan: Plan) {
        switch format {
        case .human:
            Terminal.writeOutput(rendered: renderHuman(plan, color: Terminal.stdoutColor) + "\n")
        case .json:
            if !autoApprove, Terminal.stdinIsTerminal {
                Terminal.writeError(rendered: renderHuman(plan, color: Terminal.stderrColor) + "\n")
            }
        }
    }

    /// Reports an apply that had nothing to do; exit status 0.
    func finishWithNothingToDo(_ plan: Plan) throws -> Int32 {
        try report(ApplyReport(results: [], writes: 0, interrupted: false), of: plan)
        return 0
    }

    /// Reports an apply that sent nothing (refused or stale) with the reasons; exit status 4 or 3.
    /// A plan whose signature did not verify (`verified: false`) lists none of its changes.
    func notApplied(_ plan: Plan, _ status: ApplyStatus, reasons: [String], verified: Bool = true) throws -> Int32 {
        if format == .json {
            try write(ApplyReportDocument(plan: plan, notApplied: status, reasons: reasons, listingChanges: verified), of: plan)
        }
        GitHubActions.appendStepSummary(renderNotAppliedMarkdown(status, reasons: reasons))
        if Self.tally == nil { GitHubActions.setOutputs([("applied", "0"), ("failed", "0")]) }
        return status == .refused ? 4 : 3
    }

    /// The report of a finished apply: on stdout (human or JSON), in the step summary and in the outputs. Off a
    /// terminal the human report names only the changes that did not simply succeed: the plan above lists them all.
    /// After a stop (a signal or the deadline) it names every change, done or not started, since the plan above
    /// no longer says which were made.
    private func report(_ report: ApplyReport, of plan: Plan) throws {
        switch format {
        case .human:
            if !report.results.isEmpty {
                let listing: ReportListing = Terminal.stdoutIsTerminal || report.interrupted ? .everyChange : .exceptions
                Terminal.writeOutput(rendered: renderReport(report, color: Terminal.stdoutColor, listing: listing))
            }
        case .json: try write(ApplyReportDocument(plan: plan, report: report), of: plan)
        }
        GitHubActions.appendStepSummary(renderReportMarkdown(report, apiURL: plan.apiURL))
        if let tally = Self.tally { return tally.record(report) }
        GitHubActions.setOutputs([
            ("applied", String(report.done + report.reconciled)), ("failed", String(report.failed)),
        ])
    }

    /// A note on stdout beside the human report; on stderr with `--format json`, where stdout holds the document.
    func writeNote(_ text: String) {
        if format == .json { Terminal.writeError(rendered: text) } else { Terminal.writeOutput(rendered: text) }
    }

    /// The JSON report on stdout; kept for the set's document instead when several organizations are applied.
    private func write(_ document: ApplyReportDocument, of plan: Plan) throws {
        if let tally = Self.tally, tally.collectsDocuments { return tally.record(document.naming(plan.organization?.name)) }
        Terminal.writeOutput(rendered: String(decoding: try document.jsonData(), as: UTF8.self) + "\n")
    }

    // MARK: - Executing

    /// Applies with progress and Ctrl-C handling, reports, and returns the exit status.
    func execute(_ plan: Plan, client: CogramClient) async throws -> Int32 {
        // The flag reads the deadline itself; the watch only says on stderr, as it happens, that it passed.
        try await withRunStop { stop, interrupts in
            let progress = ApplyProgress(total: plan.changes.count)
            let report = await CogramPlan.apply(
                plan: plan, client: client, parallelism: planning.reading.parallelism, stop: stop,
                progress: { progress.record($0) })
            progress.finish()
            try self.report(report, of: plan)
            if connection.verbose {
                let count = await client.requestCount
                Terminal.writeError("Sent \(plural(count.total, "request")) (\(count.writes) writes, \(count.retries) retries, \(count.rateLimited) rate-limited).\n")
            }
            // The stop flag is set by a signal or by the deadline; only the signal handler counts signals.
            let signalled = interrupts.signalled
            if report.interrupted {
                let cause = signalled ? "Interrupted" : "The deadline (--deadline \(connection.deadline ?? "")) passed"
                Terminal.writeError("\(cause): \(plural(report.skipped, "change")) not started (skipped). Run apply again to finish.\n")
            } else if !report.succeeded {
                Terminal.writeError("Some changes failed; the others were applied. Fix the cause and run apply again: it only does what is left.\n")
            }
            // 130 for a signal, as shells report a command that SIGINT ended; a passed --deadline is an error (1).
            if report.interrupted { return signalled ? 130 : 1 }
            return report.succeeded ? 0 : 1
        }
    }
}

/// `apply --format human|json`.
enum ApplyFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case human, json
}
