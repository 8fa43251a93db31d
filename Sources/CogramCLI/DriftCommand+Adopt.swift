import ArgumentParser
import CogramManifest
import CogramPlan

/// `drift --adopt`: the logic is `Adoption` in CogramPlan; this prints its diff and what is left.
extension DriftCommand {
    func validateAdoption() throws {
        guard adopt else {
            if adoptInto != nil { throw ValidationError("--adopt-into needs --adopt") }
            if dryRun { throw ValidationError("--dry-run needs --adopt") }
            return
        }
        // The diff is the output of --adopt; a report in another format would mix two documents on stdout.
        guard format == .human else { throw ValidationError("--adopt prints a diff; --format applies to the report without --adopt") }
    }

    func adoptDrift(_ report: DriftReport, sources: [SourceFile], observed: ObservedState, options: PlanOptions, paths: [String]) throws {
        guard report.hasDrift else {
            Terminal.writeError("No drift. Cogram matches the manifests; nothing to adopt.\n")
            return
        }
        let settings = AdoptionSettings(into: adoptInto, paths: paths)
        switch Adoption.prepare(sources: sources, observed: observed, options: options, settings: settings) {
        case .failure(let failure):
            DiagnosticReporter.print(failure.diagnostics, sources: sources, limit: nil)
            Terminal.writeError("drift --adopt refused: \(failure.message); nothing was written.\n")
            throw ExitCode(1)
        case .success(let outcome):
            if outcome.nothingToDo {
                Terminal.writeError("Nothing to adopt.\n")
            } else {
                Terminal.writeOutput(rendered: outcome.diff)
                if dryRun {
                    Terminal.writeError("Dry run: nothing was written.\n")
                } else {
                    do {
                        try outcome.write()
                    } catch {
                        Terminal.writeError("\(error.description)\n")
                        throw ExitCode(1)
                    }
                }
                let files = outcome.files.count + outcome.newFiles.count
                Terminal.writeError(
                    "\(dryRun ? "Would adopt" : "Adopted") \(plural(outcome.adopted.count, "difference")) in \(plural(files, "file"))"
                        + (outcome.newFiles.isEmpty ? "" : " (\(outcome.newFiles.count) new)") + ".\n")
            }
            guard !outcome.remaining.isEmpty else { return }
            Terminal.writeError("Not adopted (\(outcome.remaining.count)):\n\(rendered: renderNotAdopted(outcome.remaining))")
            throw ExitCode(2)
        }
    }
}
