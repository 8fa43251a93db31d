import CogramAPI
import CogramManifest

/// Reads what a plan needs from Cogram and makes it: the projects of `scope` (`--changed-since`) when given, else
/// those of `options.targets` (`--target`), else every one. The observed state is returned for reporting.
public func readAndPlan(
    desired: DesiredState, client: some CogramClientProtocol, options: PlanOptions, scope: ProjectScope?, parallelism: Int,
    progress: @escaping @Sendable (ObservedReadProgress) -> Void = { _ in }
) async throws -> (plan: Plan, observed: ObservedState) {
    // Offboarding reaches every project the key reads, managed or not.
    if !desired.offboarded.isEmpty {
        let observed = try await readFullObservedState(
            client: client, parallelism: parallelism, progress: progress)
        if let scope {
            return (makePlan(desired: desired, observed: observed, scope: scope, options: options), observed)
        }
        return (makePlan(desired: desired, observed: observed, options: options), observed)
    }
    guard let scope else {
        let observed = try await readObservedState(
            desired: desired, client: client, targets: options.targets, parallelism: parallelism, progress: progress)
        return (makePlan(desired: desired, observed: observed, options: options), observed)
    }
    let observed = try await readObservedState(
        desired: desired, client: client, scope: scope, parallelism: parallelism, progress: progress)
    return (makePlan(desired: desired, observed: observed, scope: scope, options: options), observed)
}
