import ArgumentParser
import CogramManifest
import CogramPlan
import CogramWorkspace

/// `--changed-since GIT_REF` on `plan` and `apply`; what it plans is decided in `CogramWorkspace.ChangedSince`.
struct ChangedSinceOption: ParsableArguments {
    @Option(help: ArgumentHelp("Plan only the projects whose desired state differs from the manifests at this git ref (e.g. origin/main), plus the users section.", valueName: "git-ref"))
    var changedSince: String?

    init() {}

    /// A scope comes from the git ref or from --target, not both; checked by the commands' `validate()`.
    func validate(targets: [String]) throws {
        if changedSince != nil, !targets.isEmpty {
            throw ValidationError("--changed-since and --target cannot be used together")
        }
    }

    /// The scope to plan, or nil for a full plan (no option, or a change that concerns every project). Says which
    /// on stderr, before anything else is printed.
    func scope(paths: [String], desired: DesiredState) async throws -> ProjectScope? {
        guard let ref = changedSince else { return nil }
        let decision: ChangedSince.Decision
        do {
            decision = try await ChangedSince.decide(ref: ref, paths: paths, desired: desired)
        } catch let error as WorkspaceError {
            throw CLIError(wrapping: error)
        }
        switch decision {
        case .full(let notice):
            Terminal.writeError("\(notice)\n")
            return nil
        case .scoped(let scope, let notice):
            Terminal.writeError("\(notice)\n")
            return scope
        }
    }
}
