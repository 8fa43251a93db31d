import CogramBench
import CogramCore
import CogramManifest
@_spi(Benchmarks) import CogramPlan
import Foundation

/// Figure 12: what the plan by person, the access report and drift's classification cost next to `makePlan`, for
/// figure 5's organization and observed state built in memory, on a thread of their own.
enum AccessCostBench {
    static func cost(sizes: BenchSizes) async throws -> [ResultRow] {
        let spec = DiffInputs.spec(sizes)
        progress("12: the plan by person, the access report and drift next to makePlan, \(spec.projects.formatted()) projects × \(spec.membersPerProject) members")
        return try await onDedicatedThread {
            let (organization, observed, desired) = try DiffInputs.make(spec)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let today = CalendarDay(now)
            let options = PlanOptions(now: now)
            let base = ManifestPathBase(directories: [])

            var planCPU = Double.infinity, derivationCPU = Double.infinity, byPersonCPU = Double.infinity
            var reportCPU = Double.infinity, reportBuildCPU = Double.infinity
            // Human, Markdown, CSV, JSON: `cogramctl access` renders one of them.
            var formatCPU = [Double](repeating: .infinity, count: 4)
            var driftCPU = Double.infinity, driftRenderCPU = Double.infinity
            var people = 0, accessChanges = 0, grants = 0, driftItems = 0, changes = 0
            var byPersonBytes = 0, reportBytes = 0
            for _ in 0..<max(1, sizes.repetitions) {
                // (a) The plan as figure 5 measures it: by person is derived later, from its changes.
                var cpu = Measure.threadCPUTime()
                let plan = makePlan(desired: desired, observed: observed, options: options)
                planCPU = min(planCPU, Measure.threadCPUTime() - cpu)
                changes = plan.changes.count

                // (b) The derivation alone, then what the three renderings add: each derives it again, as
                // `renderHuman`, `renderMarkdown` and the JSON document do.
                cpu = Measure.threadCPUTime()
                let access = plan.access
                derivationCPU = min(derivationCPU, Measure.threadCPUTime() - cpu)
                cpu = Measure.threadCPUTime()
                let sections = renderAccessSections(plan)
                let json = try StableJSON.data(plan.access)
                byPersonCPU = min(byPersonCPU, Measure.threadCPUTime() - cpu + derivationCPU)
                people = access.count
                accessChanges = access.reduce(0) { $0 + $1.changes.count }
                byPersonBytes = sections.human.utf8.count + sections.markdown.utf8.count + json.count

                // (c) `cogramctl access` minus the read: evaluate, build, and render in all four formats.
                cpu = Measure.threadCPUTime()
                let report = makeAccessReport(
                    evaluation: desired.evaluated(asOf: today), desired: desired, observed: observed,
                    apiURL: options.apiURL, base: base)
                let built = Measure.threadCPUTime() - cpu
                var renderings: [String] = []
                for (index, render) in ([renderHuman, renderMarkdown, renderCSV] as [(AccessReport) -> String]).enumerated() {
                    let began = Measure.threadCPUTime()
                    renderings.append(render(report))
                    formatCPU[index] = min(formatCPU[index], Measure.threadCPUTime() - began)
                }
                var start = Measure.threadCPUTime()
                let reportJSON = try report.jsonData()
                formatCPU[3] = min(formatCPU[3], Measure.threadCPUTime() - start)
                reportCPU = min(reportCPU, Measure.threadCPUTime() - cpu)
                reportBuildCPU = min(reportBuildCPU, built)
                grants = report.grants.count
                reportBytes = renderings.reduce(reportJSON.count) { $0 + $1.utf8.count }

                // (d) `readDrift` minus the read and the plan: the classification and the unmanaged counts.
                cpu = Measure.threadCPUTime()
                let drift = makeDriftReport(desired: desired, observed: observed, plan: plan, checkedAt: now, today: today)
                driftCPU = min(driftCPU, Measure.threadCPUTime() - cpu)
                start = Measure.threadCPUTime()
                _ = renderHuman(drift)
                _ = renderMarkdown(drift, paths: ["manifests"])
                _ = try drift.jsonData()
                driftRenderCPU = min(driftRenderCPU, Measure.threadCPUTime() - start)
                driftItems = drift.drift.count
            }
            guard changes == organization.changes.planChanges else {
                throw BenchFailure("the plan has \(changes) changes, the generator expected \(organization.changes.planChanges)")
            }
            let memberships = spec.projects * spec.membersPerProject
            guard people > 0, grants >= memberships, driftItems > 0 else {
                throw BenchFailure("by person \(people) people, \(grants) grants for \(memberships) memberships, \(driftItems) drift items for \(changes) changes")
            }
            let shape = "\(spec.projects.formatted()) × \(spec.membersPerProject), \(changes.formatted()) changes"
            let best = "best of \(sizes.repetitions), thread CPU time"
            func share(_ cpu: Double) -> String { String(format: "%.1f%%", 100 * cpu / planCPU) }
            return [
                ResultRow(
                    number: 12, figure: "(a) makePlan, \(shape), observed built in memory: CPU time (the base of b–d)",
                    measured: format(planCPU), target: "", met: nil, detail: "\(best); figure 5's measurement"),
                ResultRow(
                    number: 12, figure: "(b) the plan by person: derivation + human, Markdown and JSON `access` / (a)",
                    measured: "\(share(byPersonCPU)) (\(format(byPersonCPU)))", target: "≤ 10%", met: byPersonCPU <= 0.1 * planCPU,
                    detail: "\(best); \(people.formatted()) people, \(accessChanges.formatted()) access changes, \(byPersonBytes.formatted()) bytes; the derivation alone \(format(derivationCPU)), counted once more for each rendering that derives it again"),
                ResultRow(
                    number: 12, figure: "(c) the access report: makeAccessReport + human, Markdown, CSV and JSON / (a)",
                    measured: "\(share(reportCPU)) (\(format(reportCPU)))", target: "≤ 10%", met: reportCPU <= 0.1 * planCPU,
                    detail: "\(best); \(grants.formatted()) rows, \(reportBytes.formatted()) bytes in the four renderings; of which building the report (evaluation included) \(format(reportBuildCPU)) = \(share(reportBuildCPU)), then one rendering each: human \(format(formatCPU[0])), Markdown \(format(formatCPU[1])), CSV \(format(formatCPU[2])), JSON \(format(formatCPU[3])) (`access` renders one)"),
                ResultRow(
                    number: 12, figure: "(d) drift classification: makeDriftReport from the plan and the observed state / (a)",
                    measured: "\(share(driftCPU)) (\(format(driftCPU)))", target: "≤ 10%", met: driftCPU <= 0.1 * planCPU,
                    detail: "\(best); \(driftItems.formatted()) drift items; rendering them (human, Markdown, JSON) \(format(driftRenderCPU)) more"),
            ]
        }
    }
}
