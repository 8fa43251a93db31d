import ArgumentParser
import CogramBench
import CogramManifest
import CogramPlan
import Foundation

/// `cogram-bench profile`: figure 4's load or figure 5's diff of a generated organization of any size, repeated, in a
/// function of its own that a profiler can single out (`perf record -e cpu-clock`, or callgrind's
/// `--toggle-collect='*profiledWork*'` where valgrind runs). Prints the best thread CPU time on stderr.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Run figure 4's load or figure 5's diff once, for callgrind (see BENCHMARKS.md).")

    @Argument(help: "4 (manifest load) or 5 (makePlan).")
    var figure: Int

    @Option(help: "Projects in the organization.")
    var projects = 2000

    @Option(help: "Members per project.")
    var members = 20

    @Option(help: "Users in the organization.")
    var users = 2000

    @Option(help: "Times to run the measured work.")
    var repetitions = 1

    @Flag(help: "With figure 4: the bare libyaml event scan that figure 4 divides the load by, instead of the load.")
    var scan = false

    func validate() throws {
        guard figure == 4 || figure == 5 else { throw ValidationError("profile takes figure 4 or 5, not \(figure)") }
        guard !scan || figure == 4 else { throw ValidationError("--scan goes with figure 4 (its denominator), not \(figure)") }
    }

    func run() throws {
        var sizes = BenchSizes.full
        sizes.loadProjects = projects
        sizes.loadMembers = members
        sizes.loadUsers = users
        if figure == 4 {
            let spec = OrganizationSpec(projects: projects, membersPerProject: members, users: users, seed: 4)
            let sources = try SyntheticOrganization(spec: spec).sources(variant: false)
            if scan {
                var events = 0
                report(best { events = profiledWork { sources.reduce(0) { $0 + scanYAMLEvents($1.bytes) } } })
                guard events > 0 else { throw BenchFailure("the scan read no YAML events") }
                return
            }
            var loaded: LoadResult?
            report(best(drop: { loaded = nil }) { loaded = profiledWork { ManifestLoader().load(sources: sources) } })
            guard let result = loaded, result.diagnostics.isEmpty, result.desired?.projects.count == projects else {
                throw BenchFailure("the generated manifests do not load cleanly")
            }
        } else {
            let (organization, observed, desired) = try DiffInputs.make(DiffInputs.spec(sizes))
            let options = PlanOptions(now: Date(timeIntervalSince1970: 1_800_000_000))
            var plan: Plan?
            report(best(drop: { plan = nil }) { plan = profiledWork { makePlan(desired: desired, observed: observed, options: options) } })
            guard let plan else { return }
            guard plan.changes.count == organization.changes.planChanges else {
                throw BenchFailure("the diff found \(plan.changes.count) changes, the generator expected \(organization.changes.planChanges)")
            }
        }
    }

    /// The least thread CPU time of `repetitions` runs of `work`. `drop` runs before each, untimed, to release the
    /// previous run's result, as `run` does: otherwise each run would also pay for freeing the last one's.
    private func best(drop: () -> Void = {}, _ work: () -> Void) -> Double {
        var least = Double.infinity
        for _ in 0..<max(1, repetitions) {
            drop()
            let start = Measure.threadCPUTime()
            work()
            least = min(least, Measure.threadCPUTime() - start)
        }
        return least
    }

    private func report(_ seconds: Double) {
        progress("figure \(figure)\(scan ? " (the bare scan)" : ""), \(projects) × \(members): best of \(max(1, repetitions)) \(format(seconds)) thread CPU")
    }
}

/// The measured work, under a name a profiler's `--toggle-collect` can find.
@inline(never)
func profiledWork<T>(_ work: () -> T) -> T { work() }
