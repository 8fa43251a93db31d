import ArgumentParser
import CogramPlan

/// The root command. `main.swift`-style entry lives in the `cogramctl` target and only calls `Cogramctl.main()`.
public struct Cogramctl: AsyncParsableCommand {
    public static let version = cogramctlVersion

    public static let configuration = CommandConfiguration(
        commandName: "cogramctl",
        abstract: "Manage a Cogram organization as code: validate, plan, apply and import YAML manifests.",
        version: version,
        subcommands: [ValidateCommand.self, PlanCommand.self, ApplyCommand.self, ShowCommand.self, ImportCommand.self, OffboardCommand.self, AccessCommand.self, DriftCommand.self, DoctorCommand.self, SandboxCommand.self, SchemaCommand.self]
    )

    public init() {}

    /// Runs the command line of this process; `--sandbox=DB` is rewritten first (see `SandboxSelection`).
    public static func run() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let problem = SandboxSelection.misplacedDatabase(in: arguments) {
            exit(withError: ValidationError(problem))
        }
        await main(SandboxSelection.normalize(arguments))
    }
}
