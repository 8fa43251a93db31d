import ArgumentParser
import CogramManifest

/// The one place that prints diagnostics, from loading manifests and from planning alike: for people on stderr
/// (`path:line:col: error: message`, the source line and a caret; colour on a terminal), and, in GitHub Actions,
/// as `::error file=…` annotations on stdout so that they show on the pull request's diff.
enum DiagnosticReporter {
    /// Diagnostics printed before the rest are only counted: the first ones are those to fix first, and
    /// printing tens of thousands buries them.
    static let defaultLimit = 100

    /// Prints `diagnostics`, whatever their severity: at most `limit` (nil for all), then how many more there are.
    static func print(
        _ diagnostics: [Diagnostic], sources: [SourceFile], limit: Int? = defaultLimit,
        annotate: Bool = Terminal.inGitHubActions
    ) {
        guard !diagnostics.isEmpty else { return }
        let shown = limit.map { Array(diagnostics.prefix($0)) } ?? diagnostics
        Terminal.writeError(rendered: DiagnosticRenderer(sources: sources, color: Terminal.stderrColor).render(shown))
        if shown.count < diagnostics.count {
            Terminal.writeError(rendered: DiagnosticRenderer.omitted(diagnostics.dropFirst(shown.count))
                + " (cogramctl validate --max-diagnostics 0 prints them all)\n")
        }
        if annotate {
            Terminal.writeOutput(rendered: shown.map { DiagnosticRenderer.githubAnnotation($0) + "\n" }.joined())
        }
    }

    /// Prints `diagnostics` (see `print`); when `failed` (by default: when any is an error), says how many errors
    /// were found `during` what and that nothing was changed, adds them to the GitHub step summary under
    /// `command` when one is named, and throws exit 1.
    static func check(
        _ diagnostics: [Diagnostic], sources: [SourceFile], limit: Int? = defaultLimit, during: String? = nil,
        failed: Bool? = nil, command: String? = nil, annotate: Bool = Terminal.inGitHubActions
    ) throws {
        print(diagnostics, sources: sources, limit: limit, annotate: annotate)
        guard failed ?? diagnostics.hasErrors else { return }
        let errors = diagnostics.filter { $0.severity == .error }
        let headline = "\(plural(errors.count, "error")) found\(during.map { " " + $0 } ?? "")"
        Terminal.writeError("\(headline); nothing was changed.\n")
        if let command {
            GitHubActions.appendStepSummary(markdown(command: command, headline: headline, errors))
        }
        throw ExitCode(1)
    }

    /// Loading's diagnostics; throws exit 1 when the manifests are not valid.
    static func check(
        _ result: LoadResult, limit: Int? = defaultLimit, command: String? = nil, annotate: Bool = Terminal.inGitHubActions
    ) throws {
        try check(
            result.diagnostics, sources: result.sources, limit: limit, failed: !result.isValid, command: command,
            annotate: annotate)
    }

    /// `### cogramctl plan failed`, the headline, and the first 50 errors as `path:line:col: error: message`.
    static func markdown(command: String, headline: String, _ errors: [Diagnostic]) -> String {
        var lines = ["### cogramctl \(command) failed", "", "**\(headline); nothing was changed.**", "", "```text"]
        lines += errors.prefix(50).map { fenced($0.description) }
        if errors.count > 50 { lines.append("… and \(errors.count - 50) more") }
        lines += ["```", ""]
        return lines.joined(separator: "\n")
    }

    /// One line that cannot end the code fence or write control characters into the page.
    private static func fenced(_ line: String) -> String {
        OutputEscaping.terminal(line).replacingOccurrences(of: "`", with: "'")
    }
}
