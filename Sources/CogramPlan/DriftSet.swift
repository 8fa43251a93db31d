import CogramCore
import Foundation

/// What `drift` reports over several organization roots (cli.md, "Plan sets"): one drift report per organization,
/// in name order. The JSON document is `{"kind": "cogramctl-drift-set", "format_version", "organizations": [drift
/// document, …]}`; the renderings give each organization its own section and end with a line of totals.
public struct DriftSet: Sendable, Hashable {
    public static let kind = "cogramctl-drift-set"

    /// One organization's check: its report, the entries that expire soon, and its root (for the commands that
    /// end the drift).
    public struct Member: Sendable, Hashable {
        public var report: DriftReport
        public var expiring: [ExpiringAccess]
        public var root: String

        public init(report: DriftReport, expiring: [ExpiringAccess], root: String) {
            self.report = report
            self.expiring = expiring
            self.root = root
        }
    }

    /// Ordered by organization name.
    public var members: [Member]

    public init(_ members: [Member]) {
        self.members = members.sorted { $0.report.organization.label < $1.report.organization.label }
    }

    /// The set of these organizations' checks.
    public init(_ checks: [DriftCheck]) {
        self.init(checks.map { Member(report: $0.report, expiring: $0.plan.expiring, root: $0.root) })
    }

    public var reports: [DriftReport] { members.map(\.report) }
    public var hasDrift: Bool { members.contains { $0.report.hasDrift } }

    /// `Totals: 3 differences in 2 organizations (Acme EU: 1, Acme US: 2).`
    public var totalsLine: String {
        let total = members.reduce(0) { $0 + $1.report.drift.count }
        let each = members.map { "\($0.report.organization.label): \($0.report.drift.count)" }.joined(separator: ", ")
        return "Totals: \(total) difference\(total == 1 ? "" : "s") in \(members.count) organization\(members.count == 1 ? "" : "s") (\(each))."
    }

    /// Stable JSON: sorted keys, pretty printed, with a final newline.
    public func jsonData() throws -> Data { try StableJSON.data(self) }
}

extension DriftSet: Encodable {
    enum CodingKeys: String, CodingKey {
        case kind, organizations
        case formatVersion = "format_version"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.kind, forKey: .kind)
        try container.encode("1", forKey: .formatVersion)
        try container.encode(reports, forKey: .organizations)
    }
}

/// Each organization's report under `=== NAME ===` (with the commands for its own root), then the totals.
public func renderHuman(_ set: DriftSet) -> String {
    var sections = set.members.map { member in
        "=== \(escapeForTerminal(member.report.organization.label)) ===\n\n"
            + renderHuman(member.report, paths: [member.root]) + renderExpiring(member.expiring, markdown: false)
    }
    sections.append(escapeForTerminal(set.totalsLine) + "\n")
    return sections.joined(separator: "\n")
}

/// One issue body: the totals, then each organization's report as a single organization's drift shows it.
public func renderMarkdown(_ set: DriftSet) -> String {
    var out = "## cogramctl drift: \(set.members.count) organization\(set.members.count == 1 ? "" : "s")\n\n"
    out += "**\(markdownEscape(set.totalsLine))**\n\n"
    out += set.members.map { member in
        renderMarkdown(member.report, paths: [member.root]) + renderExpiring(member.expiring, markdown: true)
    }.joined(separator: "\n")
    return out
}
