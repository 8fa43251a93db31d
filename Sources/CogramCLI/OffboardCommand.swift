import ArgumentParser
import CogramManifest

/// `cogramctl offboard PATH... --user EMAIL`: edits the manifests in place (offline); the logic is
/// `Offboarding` in CogramManifest.
struct OffboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offboard",
        abstract: "Remove people's entries from the manifests and list them under 'offboarded:' (offline).",
        discussion: """
            Removes every member entry of each person (projects and groups) and their 'users:' entry, and adds them \
            to 'offboarded:' with today's date (UTC), in the file that holds 'offboarded:', else the one with \
            'organization:', else the first file. Every other byte stays as it was. Prints a unified diff; \
            --dry-run writes nothing. Nothing is written unless the edited manifests load cleanly, policies \
            included. Exit status: 0 written or nothing to do, 1 refused, 64 usage.
            """
    )

    @Argument(help: ArgumentHelp("Manifest files or directories.", valueName: "path"))
    var paths: [String]

    @Option(name: .customLong("user"), help: ArgumentHelp("The email of a person to offboard (repeatable).", valueName: "email"))
    var users: [String] = []

    @Flag(help: "Print the diff and write nothing.")
    var dryRun = false

    func validate() throws {
        guard !users.isEmpty else { throw ValidationError("give at least one --user EMAIL") }
        for user in users where !ManifestEmail.isPlausible(user) {
            throw ValidationError("--user '\(user)' is not an email address")
        }
    }

    func run() async throws {
        let today = CalendarDay.today()
        let result = ManifestLoader(today: today).load(paths: paths)
        try DiagnosticReporter.check(result)
        switch Offboarding.prepare(loaded: result, emails: users, today: today) {
        case .failure(let failure):
            DiagnosticReporter.print(failure.diagnostics, sources: result.sources, limit: nil)
            Terminal.writeError("offboard refused: \(failure.message); nothing was written.\n")
            throw ExitCode(1)
        case .success(let outcome):
            for email in outcome.alreadyOffboarded {
                Terminal.writeError("\(email) is already offboarded; nothing to do for them.\n")
            }
            guard !outcome.nothingToDo else {
                Terminal.writeError("Nothing to do.\n")
                return
            }
            Terminal.writeOutput(rendered: outcome.diff)
            if dryRun {
                Terminal.writeError("Dry run: nothing was written.\n")
                return
            }
            do {
                try outcome.write()
            } catch {
                Terminal.writeError("\(error.description)\n")
                throw ExitCode(1)
            }
            Terminal.writeError(
                "Offboarded \(outcome.offboarded.joined(separator: ", ")): removed \(outcome.removedEntries.count) \(outcome.removedEntries.count == 1 ? "entry" : "entries") "
                    + "in \(plural(outcome.files.count, "file")). The next plan removes them from every project the key can read.\n")
        }
    }
}
