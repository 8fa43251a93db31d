import ArgumentParser

/// `cogram-bench`: generate synthetic organizations and measure cogramctl against them.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cogram-bench",
        abstract: "Generate synthetic Cogram organizations and benchmark plan, apply, loading and diffing.",
        subcommands: [GenerateCommand.self, RunCommand.self, ProfileCommand.self]
    )
}
