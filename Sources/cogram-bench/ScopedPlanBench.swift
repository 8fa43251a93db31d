import CogramAPI
import CogramManifest
import CogramPlan
import CogramSandbox
import Foundation

/// Figure 7: a pull request that changes 3 projects of figure 1's organization, planned with `--changed-since`
/// (a scope from `ManifestChanges`) and in full.
extension SandboxBench {
    func scopedPlan(_ prepared: Prepared) async throws -> [ResultRow] {
        let n = sizes.readProjects, m = sizes.readMembers, u = sizes.readUsers
        let (pull, scope) = try Self.pullRequest(changingThreeOf: prepared.base)
        progress("7: a pull request changing 3 of \(n.formatted()) projects, planned scoped and in full")
        let pages = { (items: Int) in max(1, (items + 99) / 100) }
        let bound = pages(n) + pages(u) + 3 * pages(m)

        // Requests, without a limit: a count, not a time.
        let sandbox = try await start(prepared.databasePath, rateLimit: Self.unlimited)
        let (scopedCount, fullCount, changes) = try await using(sandbox) {
            let scoped = try await withClient(sandbox, requestsPerMinute: Self.unlimited) { client in
                let plan = try await scopedPlan(pull, scope: scope, client: client)
                return (await client.requestCount.total, plan.changes.count)
            }
            let full = try await withClient(sandbox, requestsPerMinute: Self.unlimited) { client in
                _ = try await plan(pull, client: client, parallelism: Self.parallelism)
                return await client.requestCount.total
            }
            return (scoped.0, full, scoped.1)
        }

        // Wall time at Cogram's real limit, each on a fresh rate-limit window.
        var times: [Double] = []
        for scoped in [true, false] {
            let limited = try await start(prepared.databasePath, rateLimit: 1000)
            times.append(try await using(limited) {
                try await withClient(limited, requestsPerMinute: 1000) { client in
                    let clock = ContinuousClock.now
                    if scoped {
                        _ = try await scopedPlan(pull, scope: scope, client: client)
                    } else {
                        _ = try await plan(pull, client: client, parallelism: Self.parallelism)
                    }
                    return (ContinuousClock.now - clock).seconds
                }
            })
        }
        let shape = "\(n.formatted()) projects × \(m) members, \(u.formatted()) users"
        return [
            ResultRow(
                number: 7, figure: "PR-scoped plan (--changed-since), 3 changed projects of \(shape): requests / lower bound",
                measured: "\(scopedCount) / \(bound) = \(ratio(Double(scopedCount) / Double(bound)))", target: "1.00",
                met: scopedCount <= bound,
                detail: "bound = list pages of 100 (projects, users) + one member page for each of the 3 projects; \(changes) changes planned"),
            ResultRow(
                number: 7, figure: "requests of the full plan / of the scoped plan",
                measured: "\(fullCount) / \(scopedCount) = \(String(format: "%.1f", Double(fullCount) / Double(scopedCount)))×",
                target: "≥ 50×", met: Double(fullCount) / Double(scopedCount) >= 50, detail: "the same manifests, planned without a scope"),
            ResultRow(
                number: 7, figure: "wall time at 1000/min (server and client): scoped plan / full plan",
                measured: "\(String(format: "%.2f", times[0])) s / \(String(format: "%.1f", times[1])) s", target: "", met: nil,
                detail: "each on a fresh sandbox; the full plan is bound by the limit (\(fullCount) requests ≥ \(String(format: "%.0f", Double(fullCount) / 1000 * 60)) s after the first minute's budget)"),
        ]
    }

    /// What `cogramctl plan --changed-since` does after loading: read the scope, then diff.
    func scopedPlan(_ desired: DesiredState, scope: ProjectScope, client: CogramClient) async throws -> Plan {
        let observed = try await readObservedState(desired: desired, client: client, scope: scope, parallelism: Self.parallelism)
        let plan = try await onDedicatedThread { makePlan(desired: desired, observed: observed, scope: scope, options: PlanOptions()) }
        guard plan.errors.isEmpty, plan.safetyViolations.isEmpty else {
            throw BenchFailure("the scoped plan has errors or safety violations: \(plan.errors.prefix(3)) \(plan.safetyViolations.prefix(3))")
        }
        return plan
    }

    /// The base manifests with three projects changed (a rename, a member's role, a member removed), and the
    /// scope `--changed-since` computes for them.
    static func pullRequest(changingThreeOf base: DesiredState) throws -> (DesiredState, ProjectScope) {
        var pull = base
        // Projects with an owner and someone else, so that no change leaves a project without an owner.
        let picked = Array(pull.projects.indices.filter { index in
            let members = pull.projects[index].members ?? []
            return !pull.projects[index].archived && members.contains { $0.role == .owner } && members.contains { $0.role != .owner }
        }.prefix(3))
        guard picked.count == 3 else { throw BenchFailure("the organization has too few projects with members") }
        pull.projects[picked[0]].name += " (renamed)"
        let other = pull.projects[picked[1]].members!.firstIndex { $0.role != .owner }!
        pull.projects[picked[1]].members![other].role = pull.projects[picked[1]].members![other].role == .viewer ? .editor : .viewer
        let removed = pull.projects[picked[2]].members!.firstIndex { $0.role != .owner }!
        pull.projects[picked[2]].members!.remove(at: removed)
        guard case .projects(let ids) = ManifestChanges.between(base: base, current: pull), ids.count == 3 else {
            throw BenchFailure("the scope of the pull request is not its 3 projects")
        }
        return (pull, ProjectScope(externalIDs: ids, description: "changed in the pull request"))
    }
}
