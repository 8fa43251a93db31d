import Foundation

/// The files a GitHub Actions step writes for the job: `GITHUB_STEP_SUMMARY`, Markdown shown on the run's page,
/// and `GITHUB_OUTPUT`, `name=value` lines that become the step's outputs. Both are appended to, never
/// replaced: other steps of the job share them. Without the variables nothing is written.
enum GitHubActions {
    /// Appends `markdown` and a line break to the step summary.
    static func appendStepSummary(_ markdown: String, environment: [String: String] = Terminal.environment) {
        guard let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else { return }
        append(markdown + "\n", to: path, what: "GITHUB_STEP_SUMMARY")
    }

    /// Appends each output as `name=value`; a value with a line break is written in the multi-line form
    /// (`name<<DELIMITER`, the value, `DELIMITER`).
    static func setOutputs(_ outputs: [(String, String)], environment: [String: String] = Terminal.environment) {
        guard let path = environment["GITHUB_OUTPUT"], !path.isEmpty, !outputs.isEmpty else { return }
        var text = ""
        for (name, value) in outputs {
            if value.contains(where: \.isNewline) {
                let delimiter = "COGRAMCTL_\(UUID().uuidString)"
                text += "\(name)<<\(delimiter)\n\(value)\n\(delimiter)\n"
            } else {
                text += "\(name)=\(value)\n"
            }
        }
        append(text, to: path, what: "GITHUB_OUTPUT")
    }

    private static func append(_ text: String, to path: String, what: String) {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            Terminal.writeError("warning: cannot write \(what) (\(path))\n")
            return
        }
        defer { try? handle.close() }
        do {
            _ = try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            Terminal.writeError("warning: cannot write \(what) (\(path)): \(error.localizedDescription)\n")
        }
    }
}
