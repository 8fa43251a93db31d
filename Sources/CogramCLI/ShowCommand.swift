import ArgumentParser
import CogramPlan
import Foundation

/// `cogramctl show PLANFILE`: render a saved plan; reads nothing from Cogram.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Render a saved plan (offline)."
    )

    @Argument(help: ArgumentHelp("A plan saved with `cogramctl plan --out FILE`.", valueName: "planfile"))
    var planFile: String

    @Option(help: ArgumentHelp("Output format.", valueName: "human|json|markdown"))
    var format: PlanFormat = .human

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: planFile) else {
            throw CLIError("cannot read \(planFile): no such file, or not readable")
        }
        if let set = try? UnverifiedPlanSet(data: data) {
            return try showSet(set)
        }
        let plan: Plan
        do {
            plan = try Plan.load(from: data)
        } catch {
            throw CLIError("\(planFile) is not a plan this cogramctl can read: \(error)")
        }
        // A file that contradicts itself would show one thing and apply another: it is not rendered at all.
        let problems = plan.structuralProblems()
        if !problems.isEmpty {
            Terminal.writeError("error: \(PlanValidationError.inconsistent(problems))\n")
            throw ExitCode(3)
        }
        let environment = Terminal.environment
        let key: PlanSigningKey? = environment["COGRAM_PLAN_KEY"].flatMap { $0.isEmpty ? nil : PlanSigningKey.fromSecret($0) }
            ?? environment["COGRAM_API_KEY"].flatMap { $0.isEmpty ? nil : PlanSigningKey.derived(fromAPIKey: $0) }
        if let key {
            do {
                try plan.verifySignature(with: key)
            } catch {
                Terminal.writeError("error: \(error)\n")
                throw ExitCode(3)
            }
        }
        Terminal.writeOutput(rendered: try format.render(plan))
        if key == nil {
            Terminal.writeError("note: the plan's signature was not checked (set COGRAM_PLAN_KEY or COGRAM_API_KEY); apply checks it.\n")
        }
        if plan.isExpired() {
            Terminal.writeError("note: this plan expired at \(plan.expiresAt); apply would refuse it.\n")
        }
    }

    /// A plan set (several organizations): checked when every organization's key is at hand (COGRAM_PLAN_KEY, or
    /// each plan's `api_key_env`), then rendered as `plan` renders it.
    private func showSet(_ unverified: UnverifiedPlanSet) throws {
        let found = PlanSetApply.signingKeys(unverified, resolved: [:], environment: Terminal.environment)
        let keys = found.count == unverified.keyVariables.count ? found : nil
        let set: PlanSet
        do {
            set = try keys.map { keys in
                try unverified.verified { position, _ in try keys[position] ?? { throw PlanSetError.unsigned }() }
            } ?? unverified.unchecked()
        } catch {
            Terminal.writeError("error: \(error)\n")
            throw ExitCode(3)
        }
        switch format {
        case .human: Terminal.writeOutput(rendered: renderHuman(set, color: Terminal.stdoutColor) + "\n")
        case .json: Terminal.writeOutput(rendered: String(decoding: try set.jsonData(), as: UTF8.self) + "\n")
        case .markdown: Terminal.writeOutput(rendered: renderMarkdown(set))
        }
        if keys == nil {
            Terminal.writeError("note: the plan set's signatures were not checked (set COGRAM_PLAN_KEY, or every organization's key variable); apply checks them.\n")
        }
        for plan in set.plans where plan.isExpired() {
            Terminal.writeError("note: the plan of \(plan.organization?.name ?? "unnamed") expired at \(plan.expiresAt); apply would refuse it.\n")
        }
    }
}
