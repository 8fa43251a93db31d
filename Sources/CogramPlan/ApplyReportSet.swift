import Foundation

/// `cogramctl apply --format json` over two or more organizations: one apply report per organization, in name
/// order, each naming its organization, and the totals (schemas/cogramctl-apply-report-set.v1.schema.json).
public struct ApplyReportSetDocument: Codable, Sendable, Hashable {
    public struct Totals: Codable, Sendable, Hashable {
        public var organizations: Int
        /// The organizations' `summary` counts added up (`done`, `reconciled`, `failed`, `skipped`, `kept`).
        public var summary: [String: Int]
        /// The run's exit status: the worst of the organizations' (cli.md, "Third round: precise rules").
        public var exitCode: Int32

        enum CodingKeys: String, CodingKey {
            case organizations, summary, exitCode = "exit_code"
        }
    }

    public static let kind = "cogramctl-apply-report-set"

    public var kind = Self.kind
    public var formatVersion = "1"
    public var organizations: [ApplyReportDocument]
    public var totals: Totals

    enum CodingKeys: String, CodingKey {
        case kind, formatVersion = "format_version", organizations, totals
    }

    public init(_ organizations: [ApplyReportDocument], exitCode: Int32) {
        self.organizations = organizations
        var summary = ["done": 0, "reconciled": 0, "failed": 0, "skipped": 0, "kept": 0]
        for document in organizations {
            for (name, count) in document.summary { summary[name, default: 0] += count }
        }
        totals = Totals(organizations: organizations.count, summary: summary, exitCode: exitCode)
    }

    /// Pretty-printed JSON with sorted keys, like the report of one organization.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

extension ApplyReportDocument {
    /// This report naming `name` (nil: an unnamed organization), for a `cogramctl-apply-report-set`.
    public func naming(_ name: String?) -> ApplyReportDocument {
        var document = self
        document.organization = Organization(name: name)
        return document
    }
}

extension ApplyReportSetDocument {
    /// The set for plans refused by the safety caps before anything was sent (exit 4): each plan with a cap it
    /// breaks refused, the others not started.
    public init(refused plans: [Plan]) {
        let documents = plans.map { plan in
            plan.safetyViolations.isEmpty
                ? ApplyReportDocument(plan: plan, notApplied: .notStarted, reasons: ["the plan of another organization is refused by the safety caps"])
                : ApplyReportDocument(plan: plan, notApplied: .refused, reasons: plan.safetyViolations.map(\.description))
        }
        self.init(documents.enumerated().map { $1.naming(plans[$0].organization?.name) }, exitCode: 4)
    }
}

extension ApplyTally {
    /// A report for an organization where nothing was applied and none was written (a failed read, another
    /// organization's plan not passing, another organization's key): when documents are collected.
    public func recordMissing(_ plan: Plan, _ status: ApplyStatus, reason: String) {
        guard collectsDocuments else { return }
        record(ApplyReportDocument(plan: plan, notApplied: status, reasons: [reason]).naming(plan.organization?.name))
    }
}
