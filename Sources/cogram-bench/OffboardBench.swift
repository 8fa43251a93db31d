import CogramManifest
import Foundation

/// Figure 11: `cogramctl offboard` of one person across many per-project files, as the command does it: load
/// every file from disk, prepare the edits (which re-loads the edited set), and write the changed files.
enum OffboardBench {
    static func offboard(sizes: BenchSizes, directory: URL) async throws -> [ResultRow] {
        let count = sizes.offboardFiles
        progress("11: offboarding one person across \(count.formatted()) per-project files")
        let root = directory.appendingPathComponent("offboard-\(count)", isDirectory: true)
        return try await onDedicatedThread {
            var best = Double.infinity, bestCPU = Double.infinity
            var changed = 0
            for _ in 0..<sizes.repetitions {
                try? FileManager.default.removeItem(at: root)
                try write(files: count, to: root)
                let started = Date()
                let cpu = Measure.threadCPUTime()
                let today = CalendarDay(parsing: "2026-12-06")!
                let result = ManifestLoader(today: today).load(paths: [root.path])
                guard result.isValid else { throw BenchFailure("the generated manifests do not load: \(result.diagnostics.prefix(3))") }
                let outcome = try Offboarding.prepare(loaded: result, emails: ["leaver@acme.example"], today: today).get()
                try outcome.write()
                best = min(best, Date().timeIntervalSince(started))
                bestCPU = min(bestCPU, Measure.threadCPUTime() - cpu)
                changed = outcome.files.count
            }
            try? FileManager.default.removeItem(at: root)
            guard changed == count + 1 else { throw BenchFailure("offboard changed \(changed) files, expected \(count + 1)") }
            return [ResultRow(
                number: 11,
                figure: "offboard one person across \(count.formatted()) per-project files (a member of every project, and a user)",
                measured: format(best), target: "< 1 s", met: best < 1,
                detail: "best of \(sizes.repetitions), wall time: load from disk, edit, re-load the result, write \(changed) files atomically; the thread's CPU time (user + system), which a busy machine does not inflate: \(format(bestCPU))")]
        }
    }

    /// `organization.yaml` with the users and one file per project, each with the leaver and two others.
    static func write(files count: Int, to root: URL) throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var organization = "version: 1\norganization:\n  name: Bench\nusers:\n  - email: leaver@acme.example\n    role: member\n"
        for i in 0..<50 { organization += "  - email: user\(i)@acme.example\n    role: member\n" }
        try organization.write(to: root.appendingPathComponent("organization.yaml"), atomically: false, encoding: .utf8)
        for i in 0..<count {
            let text = """
                # Project \(i)
                version: 1
                projects:
                  - external_id: p-\(i)
                    name: Project \(i)
                    members:
                      - email: user\(i % 50)@acme.example
                        role: owner
                      - email: leaver@acme.example   # leaving
                        role: editor
                      - email: user\((i + 1) % 50)@acme.example
                        role: viewer

                """
            try text.write(to: root.appendingPathComponent(String(format: "p-%05d.yaml", i)), atomically: false, encoding: .utf8)
        }
    }
}
