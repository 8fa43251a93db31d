import CogramManifest
import Foundation

/// Figure 8: validating a manifest with many errors, as `cogramctl validate` does it (load, then render the
/// diagnostics with their source lines), on a thread of its own.
enum ValidationBench {
    static func errors(sizes: BenchSizes) async throws -> [ResultRow] {
        progress("8: validating manifests with \(sizes.validationErrors.map { $0.formatted() }.joined(separator: " and ")) errors")
        return try await onDedicatedThread {
            var rows: [ResultRow] = []
            for count in sizes.validationErrors {
                let source = manifest(errors: count)
                var loadCPU = Double.infinity, allCPU = Double.infinity, cappedCPU = Double.infinity
                var found = 0
                for _ in 0..<sizes.repetitions {
                    var cpu = Measure.threadCPUTime()
                    let result = ManifestLoader().load(sources: [source])
                    loadCPU = min(loadCPU, Measure.threadCPUTime() - cpu)
                    found = result.diagnostics.count
                    let renderer = DiagnosticRenderer(sources: result.sources)
                    cpu = Measure.threadCPUTime()
                    let all = renderer.render(result.diagnostics)
                    allCPU = min(allCPU, Measure.threadCPUTime() - cpu)
                    cpu = Measure.threadCPUTime()
                    let capped = renderer.render(Array(result.diagnostics.prefix(100)))
                        + DiagnosticRenderer.omitted(result.diagnostics.dropFirst(100))
                    cappedCPU = min(cappedCPU, Measure.threadCPUTime() - cpu)
                    guard all.utf8.count > capped.utf8.count || found <= 100 else { throw BenchFailure("rendering went wrong") }
                }
                guard found == count else {
                    throw BenchFailure("the manifest with \(count) planted errors gave \(found) diagnostics")
                }
                let total = loadCPU + allCPU
                rows.append(ResultRow(
                    number: 8,
                    figure: "validate a manifest with \(count.formatted()) errors (\(count.formatted()) projects, one unknown key each): load + render every diagnostic",
                    measured: "\(format(total)) (load \(format(loadCPU)), render \(format(allCPU)))",
                    target: "< 1 s", met: total < 1,
                    detail: "best of \(sizes.repetitions), thread CPU time; what `validate` prints by default (100 diagnostics and a count of the rest) renders in \(format(cappedCPU))"))
            }
            return rows
        }
    }

    /// One file of `count` projects, each with one unknown key: `count` errors, one per project.
    static func manifest(errors count: Int) -> SourceFile {
        var text = "version: 1\nprojects:\n"
        text.reserveCapacity(count * 80)
        for i in 0..<count {
            text += "  - external_id: p-\(i)\n    name: Project \(i)\n    nmae: typo\n"
        }
        return SourceFile(path: "errors-\(count).yaml", bytes: Array(text.utf8))
    }
}
