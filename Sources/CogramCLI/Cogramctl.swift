import ArgumentParser
import CogramCore
import CogramPlan
import CogramSandbox
import Foundation

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

    /// Runs the command line of this process; `--sandbox=DB` is rewritten first (see `SandboxSelection`). As
    /// swift-argument-parser's `main`, except that errors are printed by `exit(escaping:)`.
    public static func run() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let problem = SandboxArguments.misplacedDatabase(in: arguments) {
            exit(escaping: ValidationError(problem))
        }
        do {
            var command = try await asyncParseAsRoot(SandboxArguments.normalize(arguments))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(escaping: error)
        }
    }

    /// The one place a command's error is printed (`Error: message` on stderr, with usage for usage errors) and
    /// the process exits with its status. A `CLIError` has escaped what it quotes, and so has any
    /// `EscapedErrorDescription`, whose line breaks are kept; any other message (a usage error quoting an
    /// argument, another module's error) is outside text, all on one line under the terminal rule. Help and
    /// version go to stdout as they are.
    static func exit(escaping error: any Error) -> Never {
        let code = exitCode(for: error)
        if code == .success || error is ExitCode || error is CLIError {
            exit(withError: error)
        }
        let said = Self.message(for: error)
        let escaped = code != .validationFailure && error is any EscapedErrorDescription
            ? TerminalMessage(lines: said).text : OutputEscaping.terminal(said)
        var text = fullMessage(for: error)
        if !said.isEmpty, let range = text.range(of: said) {
            text.replaceSubrange(range, with: escaped)
        }
        if !text.isEmpty { Terminal.writeError(rendered: text + "\n") }
        Foundation.exit(code.rawValue)
    }
}
