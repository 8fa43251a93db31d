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

    @OptionGroup var organizations: OrganizationSelection

    func validate() throws {
        guard !users.isEmpty else { throw ValidationError("give at least one --user EMAIL") }
        for user in users where !ManifestEmail.isPlausible(user) {
            throw ValidationError("--user '\(user)' is not an email address")
        }
    }

    func run() async throws {
        let today = CalendarDay.today()
        let loaded = ManifestLoader(today: today).loadOrganizations(paths: paths)
        if loaded.isValid, loaded.organizations.count > 1 {
            // Each root edited on its own; every organization is prepared before anything is written anywhere.
            try DiagnosticReporter.check(loaded.diagnostics, sources: loaded.sources)
            switch Offboarding.prepare(organizations: try organizations.select(loaded), of: loaded, emails: users, today: today) {
            case .failure(let failure): try refuse(failure, sources: loaded.sources)
            case .success(let parts): try finish(parts.map { ("\($0.name): ", $0.outcome) })
            }
            return
        }
        if loaded.isValid, !organizations.names.isEmpty { _ = try organizations.select(loaded) }
        let result = loaded.single
        try DiagnosticReporter.check(result)
        switch Offboarding.prepare(loaded: result, emails: users, today: today) {
        case .failure(let failure): try refuse(failure, sources: result.sources)
        case .success(let outcome): try finish([("", outcome)])
        }
    }

    private func refuse(_ failure: EditFailure, sources: [SourceFile]) throws -> Never {
        DiagnosticReporter.print(failure.diagnostics, sources: sources, limit: nil)
        Terminal.writeError("offboard refused: \(failure.message); nothing was written.\n")
        throw ExitCode(1)
    }

    /// Prints every diff, then writes each organization's files (unless `--dry-run`); `label` names the
    /// organization in the messages when there are several.
    private func finish(_ parts: [(label: String, outcome: OffboardOutcome)]) throws {
        for (label, outcome) in parts {
            for email in outcome.alreadyOffboarded {
                Terminal.writeError("\(label)\(email) is already offboarded; nothing to do for them.\n")
            }
        }
        let edits = parts.filter { !$0.outcome.nothingToDo }
        guard !edits.isEmpty else {
            Terminal.writeError("Nothing to do.\n")
            return
        }
        for (_, outcome) in edits { Terminal.writeOutput(rendered: outcome.diff) }
        if dryRun {
            Terminal.writeError("Dry run: nothing was written.\n")
            return
        }
        for (index, (label, outcome)) in edits.enumerated() {
            do {
                try outcome.write()
            } catch {
                let written = edits[..<index].map { $0.label.dropLast(2) }.joined(separator: ", ")
                Terminal.writeError("\(label)\(error.description)\n" + (written.isEmpty ? "" : "Already written for \(written).\n"))
                throw ExitCode(1)
            }
            let removed = outcome.removedEntries.count
            Terminal.writeError(
                "\(label)Offboarded \(outcome.offboarded.joined(separator: ", ")): removed \(removed) \(removed == 1 ? "entry" : "entries") "
                    + "in \(plural(outcome.files.count, "file")). The next plan removes them from every project the key can read.\n")
        }
    }
}
