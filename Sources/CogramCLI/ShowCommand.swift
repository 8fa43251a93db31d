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
        let plan: Plan
        do {
            plan = try Plan.load(from: data)
        } catch {
            throw CLIError("\(planFile) is not a plan this cogramctl can read: \(error)")
        }
        Terminal.writeOutput(try format.render(plan))
        if plan.isExpired() {
            Terminal.writeError("note: this plan expired at \(plan.expiresAt); apply would refuse it.\n")
        }
    }
}
