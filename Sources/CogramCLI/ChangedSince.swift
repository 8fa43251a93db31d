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
        Terminal.writeError("\(decision.notice)\n")
        return decision.scope
    }

    /// With several organizations: each one's scope from its own files, by name (absent: a full plan).
    func scopes(paths: [String], organizations: [LoadedOrganization]) async throws -> [String: ProjectScope] {
        guard let ref = changedSince else { return [:] }
        do {
            let decisions = try await ChangedSince.decide(ref: ref, paths: paths, organizations: organizations)
            for (_, decision) in decisions { Terminal.writeError("\(decision.notice)\n") }
            return Dictionary(decisions.compactMap { name, decision in decision.scope.map { (name, $0) } }, uniquingKeysWith: { a, _ in a })
        } catch let error as WorkspaceError {
            throw CLIError(wrapping: error)
        }
    }
}
