import Foundation

// MARK: - What an apply ended as

/// How an `apply` run ended, for the JSON document, the step summary and the exit status.
public enum ApplyStatus: String, Sendable, Hashable, Codable {
    /// Every change done or reconciled (exit 0).
    case applied
    /// Nothing to do (exit 0).
    case noChanges = "no_changes"
    /// Some change failed or was skipped for a failure (exit 1).
    case failed
    /// Stopped before every change was started: by SIGINT or SIGTERM (exit 130) or by `--deadline` (exit 1).
    case interrupted
    /// Refused by the safety caps before anything was sent (exit 4).
    case refused
    /// A saved plan that is expired, for another API, or whose preconditions moved (exit 3).
    case stale
    /// Nothing sent in this organization of several: another organization's plan did not pass its checks, or an
    /// interrupt came before it started (only in a `cogramctl-apply-report-set`).
    case notStarted = "not_started"

    public init(_ report: ApplyReport) {
        if report.interrupted {
            self = .interrupted
        } else if report.results.isEmpty {
            self = .noChanges
        } else {
            self = report.succeeded ? .applied : .failed
        }
    }
}

extension ApplyOutcome {
    /// `done`, `reconciled`, `failed`, `skipped` or `kept`.
    public var name: String {
        switch self {
        case .done: "done"
        case .reconciled: "reconciled"
        case .failed: "failed"
        case .skipped: "skipped"
        case .kept: "kept"
        }
    }

    /// The note, message or reason; nil for `done`.
    public var detail: String? {
        switch self {
        case .done: nil
        case .reconciled(let text), .failed(let text), .skipped(let text), .kept(let text): text
        }
    }
}

// MARK: - JSON

/// `cogramctl apply --format json`: one document with every change of the plan and its outcome.
///
/// When the apply was refused or the saved plan was stale, nothing was sent: every change is listed as skipped
/// with the reason, so that a reader needs no second format for those cases.
public struct ApplyReportDocument: Codable, Sendable, Hashable {
    public struct Entry: Codable, Sendable, Hashable {
        public var action: String
        public var address: String
        public var outcome: String
        /// The note, message or reason (absent for `done`).
        public var detail: String?
    }

    /// The organization, in a `cogramctl-apply-report-set` only (absent in a lone report).
    public struct Organization: Codable, Sendable, Hashable {
        /// The name in its `organization:` section, or null for an unnamed organization.
        public var name: String?
    }

    public var formatVersion = "1"
    public var kind = "cogramctl-apply-report"
    public var organization: Organization?
    public var toolVersion: String
    public var apiURL: String
    public var status: ApplyStatus
    /// Counts of `done`, `reconciled`, `failed` and `skipped`, and of `kept` when there is any.
    public var summary: [String: Int]
    public var changes: [Entry]
    /// Why nothing was applied (for `refused` and `stale`).
    public var errors: [String]

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", kind, organization, toolVersion = "tool_version", apiURL = "api_url", status
        case summary, changes, errors
    }

    /// The document for a finished apply of `plan`.
    public init(plan: Plan, report: ApplyReport) {
        self.init(plan: plan, status: ApplyStatus(report), results: report.results, errors: [])
    }

    /// The document for an apply that sent nothing (`refused` or `stale`), saying why.
    /// `listingChanges: false` for a plan that is not known to be authentic: none of its changes is named.
    public init(plan: Plan, notApplied status: ApplyStatus, reasons: [String], listingChanges: Bool = true) {
        let reason = switch status {
        case .refused: "refused by the safety caps"
        case .notStarted: "not started"
        case .failed: "not applied: " + (reasons.first ?? "an error")
        default: "the saved plan is stale"
        }
        let results = (listingChanges ? plan.changes : []).map { ChangeResult(action: $0.action, address: $0.address.description, outcome: .skipped(reason)) }
        self.init(plan: plan, status: status, results: results, errors: reasons)
    }

    private init(plan: Plan, status: ApplyStatus, results: [ChangeResult], errors: [String]) {
        toolVersion = cogramctlVersion
        apiURL = plan.apiURL
        self.status = status
        var summary = ["done": 0, "reconciled": 0, "failed": 0, "skipped": 0]
        for result in results { summary[result.outcome.name, default: 0] += 1 }
        self.summary = summary
        changes = results.map {
            Entry(action: $0.action.rawValue, address: $0.address, outcome: $0.outcome.name, detail: $0.outcome.detail)
        }
        self.errors = errors
    }

    /// Pretty-printed JSON with sorted keys, like the plan document.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

// MARK: - Markdown

/// The apply report for a GitHub step summary: a headline with the counts, every change that did not simply
/// succeed (with its message), then every change folded in `<details>`, cut to stay well within the summary's
/// size limit.
public func renderReportMarkdown(_ report: ApplyReport, apiURL: String, limit: Int = 65_536) -> String {
    let status = ApplyStatus(report)
    let headline: String = switch status {
    case .applied: "Apply complete"
    case .noChanges: "Nothing to apply"
    case .failed: "Apply finished with failures"
    case .interrupted: "Apply interrupted"
    case .refused, .stale, .notStarted: "Nothing applied"
    }
    var lines = [
        "### cogramctl apply", "",
        "**\(headline): \(report.done) done, \(report.reconciled) reconciled, \(report.failed) failed, \(report.skipped) skipped"
            + (report.kept > 0 ? ", \(report.kept) kept by Cogram (warnings)" : "") + "** (against `\(markdownEscape(apiURL))`)",
        "",
    ]
    let exceptions = report.results.filter { $0.outcome != .done }
    if !exceptions.isEmpty {
        lines += ["| outcome | change | detail |", "|---|---|---|"]
        for result in exceptions.prefix(200) {
            let detail = (result.outcome.detail ?? "").replacingOccurrences(of: "\n", with: " ")
            // A table cell: a code span whose pipes are escaped too, or the row would split there.
            let change = markdownCode("\(result.action.rawValue) \(result.address)").replacingOccurrences(of: "|", with: "\\|")
            lines.append("| \(result.outcome.name) | \(change) | \(markdownEscape(detail)) |")
        }
        if exceptions.count > 200 { lines.append("| … | \(exceptions.count - 200) more | |") }
        lines.append("")
    }
    if !report.results.isEmpty {
        var size = lines.reduce(0) { $0 + $1.utf8.count + 1 }
        var listed: [String] = []
        for result in report.results {
            let line = "- \(result.outcome.name) \(markdownCode("\(result.action.rawValue) \(result.address)"))"
            guard size + line.utf8.count + 200 < limit else { break }
            size += line.utf8.count + 1
            listed.append(line)
        }
        lines += ["<details><summary>All \(report.results.count) changes</summary>", ""] + listed
        if listed.count < report.results.count {
            lines.append("- … \(report.results.count - listed.count) more, cut to fit the summary")
        }
        lines += ["", "</details>", ""]
    }
    return lines.joined(separator: "\n")
}

/// The step summary of an apply that sent nothing: why, one line each.
public func renderNotAppliedMarkdown(_ status: ApplyStatus, reasons: [String]) -> String {
    let why = status == .refused ? "refused by the safety caps" : "the saved plan is stale"
    return (["### cogramctl apply", "", "**Nothing applied: \(why).**", ""] + reasons.map { "- \(markdownEscape($0))" } + [""])
        .joined(separator: "\n")
}
