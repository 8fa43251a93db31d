import CogramBench
import CogramManifest
import CogramPlan
import Foundation

/// Figures 4 and 5: loading and diffing, in memory, on a thread of their own.
enum OfflineBench {
    static func load(sizes: BenchSizes) async throws -> [ResultRow] {
        let spec = OrganizationSpec(
            projects: sizes.loadProjects, membersPerProject: sizes.loadMembers, users: sizes.loadUsers, seed: 4)
        progress("4: loading \(spec.projects.formatted()) projects × \(spec.membersPerProject) members against a bare libyaml scan")
        return try await onDedicatedThread {
            let organization = try SyntheticOrganization(spec: spec)
            let sources = organization.sources(variant: false)
            let bytes = sources.reduce(0) { $0 + $1.bytes.count }
            var scanCPU = Double.infinity, loadCPU = Double.infinity
            var scanWall = Double.infinity, loadWall = Double.infinity, composeCPU = Double.infinity
            var events = 0
            for _ in 0..<sizes.repetitions {
                // Interleaved, so that a busy neighbour slows both alike.
                var cpu = Measure.threadCPUTime()
                scanWall = min(scanWall, Measure.wall {
                    events = sources.reduce(0) { $0 + scanYAMLEvents($1.bytes) }
                })
                scanCPU = min(scanCPU, Measure.threadCPUTime() - cpu)
                cpu = Measure.threadCPUTime()
                for source in sources { _ = YAMLComposer.compose(source) }
                composeCPU = min(composeCPU, Measure.threadCPUTime() - cpu)
                var loaded: LoadResult?
                cpu = Measure.threadCPUTime()
                loadWall = min(loadWall, Measure.wall { loaded = ManifestLoader().load(sources: sources) })
                loadCPU = min(loadCPU, Measure.threadCPUTime() - cpu)
                guard let loaded, loaded.diagnostics.isEmpty, loaded.desired?.projects.count == spec.projects else {
                    throw BenchFailure("the generated manifests do not load cleanly")
                }
            }
            let mb = Double(bytes) / 1_000_000
            return [ResultRow(
                number: 4,
                figure: "manifest load, \(spec.projects.formatted()) projects × \(spec.membersPerProject) members (\(String(format: "%.1f", mb)) MB, \(sources.count) files): load / bare libyaml event scan",
                measured: "\(ratio(loadCPU / scanCPU))× (\(format(loadCPU)) / \(format(scanCPU)) CPU)",
                target: "≤ 1.5×", met: loadCPU / scanCPU <= 1.5,
                detail: "best of \(sizes.repetitions), thread CPU time; of which composing nodes \(format(composeCPU)) (the rest: decoding and checks); wall \(format(loadWall)) / \(format(scanWall)); \(events.formatted()) events; scan = yaml_parser_parse + yaml_event_delete")]
        }
    }

    static func diff(sizes: BenchSizes) async throws -> [ResultRow] {
        let spec = DiffInputs.spec(sizes)
        progress("5: diffing \(spec.projects.formatted()) projects × \(spec.membersPerProject) members against an observed state in memory")
        return try await onDedicatedThread {
            let (organization, observed, desired) = try DiffInputs.make(spec)
            let options = PlanOptions(now: Date(timeIntervalSince1970: 1_800_000_000))

            Measure.trimHeap()
            let resetWorked = Measure.resetPeakResidentSize()
            let baseline = Measure.statusKilobytes("VmRSS") ?? 0
            var cpu = Measure.threadCPUTime()
            var plan: Plan? = makePlan(desired: desired, observed: observed, options: options)
            var best = Measure.threadCPUTime() - cpu
            let peak = Measure.statusKilobytes("VmHWM") ?? 0
            guard let changes = plan?.changes.count, changes == organization.changes.planChanges else {
                throw BenchFailure("the diff found \(plan?.changes.count ?? -1) changes, the generator expected \(organization.changes.planChanges)")
            }
            let retainedKB = (Measure.statusKilobytes("VmRSS") ?? 0) - baseline
            plan = nil
            for _ in 1..<max(1, sizes.repetitions) {
                cpu = Measure.threadCPUTime()
                plan = makePlan(desired: desired, observed: observed, options: options)
                best = min(best, Measure.threadCPUTime() - cpu)
                plan = nil
            }
            let peakMB = Double(peak - baseline) / 1024
            let retained = String(format: "; %.0f MB still resident while the plan is alive", Double(retainedKB) / 1024)
            let shape = "\(spec.projects.formatted()) × \(spec.membersPerProject), \(changes.formatted()) changes"
            return [
                ResultRow(
                    number: 5, figure: "diff (makePlan), \(shape), observed built in memory: CPU time",
                    measured: format(best), target: "< 0.25 s", met: best < 0.25,
                    detail: "best of \(sizes.repetitions), thread CPU time"),
                ResultRow(
                    number: 5, figure: "diff: peak memory",
                    measured: String(format: "%.0f MB", peakMB), target: "< 200 MB", met: resetWorked && peakMB < 200,
                    detail: resetWorked
                        ? "VmHWM after − VmRSS before, with the peak reset through /proc/self/clear_refs and the heap trimmed first\(retained)"
                        : "the kernel refused to reset VmHWM; the figure is not meaningful"),
            ]
        }
    }
}

/// Figure 5's organization (seed 5), shared with figure 12: the generator, its observed state built in memory and
/// the variant's manifests loaded.
enum DiffInputs {
    static func spec(_ sizes: BenchSizes) -> OrganizationSpec {
        OrganizationSpec(
            projects: sizes.loadProjects, membersPerProject: sizes.loadMembers, users: sizes.loadUsers,
            changeFraction: sizes.diffChangeFraction, seed: 5)
    }

    static func make(_ spec: OrganizationSpec) throws -> (SyntheticOrganization, ObservedState, DesiredState) {
        let organization = try SyntheticOrganization(spec: spec)
        let observed = organization.observedState()
        let result = ManifestLoader().load(sources: organization.sources(variant: true))
        guard let desired = result.desired, result.diagnostics.isEmpty else {
            throw BenchFailure("the generated manifests do not load cleanly")
        }
        return (organization, observed, desired)
    }
}
