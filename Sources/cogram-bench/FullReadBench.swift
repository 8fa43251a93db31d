import CogramAPI
import CogramBench
import CogramManifest
import CogramPlan
import CogramSandbox
import Foundation

/// Figure 10: the reads of `cogramctl access` and `cogramctl drift`, which both read everything the key can see,
/// for figure 4's and 5's organization seeded into a sandbox.
extension SandboxBench {
    func fullReads() async throws -> [ResultRow] {
        let n = sizes.loadProjects, m = sizes.loadMembers, u = sizes.loadUsers
        let spec = OrganizationSpec(
            projects: n, membersPerProject: m, users: u, changeFraction: sizes.diffChangeFraction, seed: 10)
        let prepared = try await prepare(spec, name: "full-reads")
        let shape = "\(n.formatted()) projects × \(m) members, \(u.formatted()) users"
        let pages = { (items: Int) in max(1, (items + 99) / 100) }
        // Every project's member list is read, managed or not: the least any read that sees every membership makes.
        let bound = pages(n) + pages(u) + n * pages(m)
        let today = CalendarDay(parsing: "2026-12-06")!

        progress("10: counting the reads of the access report of \(shape)")
        let (accessCount, accessStats, grants) = try await counted(prepared.databasePath) { sandbox, client in
            let observed = try await readFullObservedState(client: client, parallelism: Self.parallelism)
            let report = try await onDedicatedThread {
                makeAccessReport(
                    evaluation: prepared.base.evaluated(asOf: today), desired: prepared.base, observed: observed,
                    apiURL: sandbox.baseURL, base: ManifestPathBase(directories: []))
            }
            return report.grants.count
        }

        progress("10: counting the reads of drift of \(shape) (the variant: \(prepared.organization.changes.planChanges) changes)")
        let (driftCount, driftStats, items) = try await counted(prepared.databasePath) { _, client in
            // readDrift's own plan and classification run on the cooperative pool as in the CLI; the count is
            // what is measured here, not the time.
            let (report, _, _) = try await readDrift(
                desired: prepared.variant, client: client, options: PlanOptions(now: Date()), parallelism: Self.parallelism)
            return report.drift.count
        }
        guard items > 0 else {
            throw BenchFailure("drift found \(items) items for \(prepared.organization.changes.planChanges) changes")
        }
        func row(_ what: String, _ count: RequestCount, _ stats: SandboxStats, _ detail: String) -> ResultRow {
            ResultRow(
                number: 10, figure: "\(what) reads, \(shape): requests / full-read lower bound",
                measured: "\(count.total) / \(bound) = \(ratio(Double(count.total) / Double(bound)))", target: "1.00",
                met: count.total == bound && stats.total == bound && stats.writes == 0,
                detail: "the sandbox served \(stats.total) (\(stats.writes) writes, \(count.retries) retries) \(detail); bound = list pages of 100 (projects, users, one member page per project: every project is read)")
        }
        return [
            row("`access`", accessCount, accessStats, "for \(grants.formatted()) rows"),
            row("`drift`", driftCount, driftStats, "for \(items.formatted()) drift items"),
        ]
    }

    /// Runs `body` against a fresh unlimited sandbox on the database at `path` with a fresh client, and returns the
    /// client's request count and the sandbox's statistics with its result.
    private func counted<T: Sendable>(
        _ path: String, _ body: (RunningSandbox, CogramClient) async throws -> T
    ) async throws -> (RequestCount, SandboxStats, T) {
        let sandbox = try await start(path, rateLimit: Self.unlimited)
        return try await using(sandbox) {
            let (count, value) = try await withClient(sandbox, requestsPerMinute: Self.unlimited) { client in
                let value = try await body(sandbox, client)
                return (await client.requestCount, value)
            }
            return (count, await sandbox.stats(), value)
        }
    }
}
