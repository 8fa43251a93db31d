import CogramAPI
import CogramCore
import CogramManifest
@testable import CogramPlan
import Testing

/// The human table and the CSV are written as bytes into one buffer; these pin them to renderings built from
/// `String`s cell by cell with the escaping rules, which is how they were written before, on hostile cells (the
/// escaped and non-ASCII paths) and plain ones (the in-place paths).
@Suite struct AccessReportBytesTests {
    static let hostile = [
        "", "plain", "Zoë", "e\u{301}", "🚀", "\u{1B}[2J", "a\nb", "\t", "\u{7F}", "\u{9B}", "\u{202E}evil", "-x", "=SUM(A1)",
        "@me", "+1", "a,b", "say \"hi\"", "a|b", "x\r\ny",
    ]

    /// Rows over every hostile text in every column, every kind of `managedBy` and line numbers of 1 to 5 digits.
    static func report() -> AccessReport {
        var grants: [AccessGrant] = []
        let lines = [0, 7, 10, 99, 12_345]
        for (index, text) in hostile.enumerated() {
            let other = hostile[(index + 3) % hostile.count]
            let managedBy: ManagedBy? = switch index % 5 {
            case 0: .entry(file: text, line: lines[index % lines.count])
            case 1: .entry(file: "teams/\(other).yaml", line: lines[(index + 1) % lines.count])
            case 2: .unmanaged
            case 3: .notInManifests
            default: nil
            }
            grants.append(AccessGrant(
                email: text, userID: other, organizationRole: text, projectExternalID: index % 4 == 0 ? nil : other,
                projectID: index % 7 == 0 ? nil : "prj_\(text)", projectName: other, projectStatus: text, projectRole: other,
                managedBy: managedBy))
        }
        return AccessReport(
            organizationName: "Acme", anchor: nil, apiURL: "http://127.0.0.1:8787/v1", keySource: nil, apiKeyEnv: nil,
            grants: grants, usersInNoManifest: ["z@x.example"], offboardedWithAccess: [], expiring: [],
            day: CalendarDay(daysSinceEpoch: 20_000), window: 14)
    }

    /// The table as it was built before: every cell escaped, measured in characters and padded.
    static func humanTable(_ report: AccessReport) -> String {
        let t = escapeForTerminal
        var rows = [["EMAIL", "ORG ROLE", "PROJECT", "NAME", "STATUS", "ROLE", "MANAGED BY"]]
        for grant in report.grants {
            rows.append([
                t(grant.email), t(grant.organizationRole),
                t(grant.projectExternalID ?? (grant.projectID.map { "id \($0)" } ?? "-")), t(grant.projectName ?? ""),
                t(grant.projectStatus ?? ""), t(grant.projectRole ?? ""),
                t(grant.managedBy?.description ?? "no project membership"),
            ])
        }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max()! }
        return rows.map { row in
            (0..<6).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) + "  " }.joined() + row[6] + "\n"
        }.joined()
    }

    @Test func theHumanTableHasTheCellByCellRenderingsText() {
        let report = Self.report()
        let human = renderHuman(report)
        let table = Self.humanTable(report)
        #expect(human.contains("\n\n" + table + "\nUsers in no manifest:\n  z@x.example\n"))
        #expect(renderHumanBytes(report) == Array(human.utf8))
        #expect(AccessFormat.human.render(report) == Array(human.utf8))
    }

    @Test func theCSVHasTheCellByCellRenderingsText() {
        let report = Self.report()
        var expected = ""
        appendCSVRow(AccessReport.csvColumns, to: &expected)
        for grant in report.grants { appendCSVRow(grant.csvCells, to: &expected) }
        #expect(renderCSV(report) == expected)
        #expect(AccessFormat.csv.render(report) == Array(expected.utf8))
    }

    @Test func theSummaryCountsEachUserAndEachKindOfEntryOnce() {
        var report = Self.report()
        // A user's rows apart from each other (as two users whose emails differ only in case can be) still count once.
        report.grants += [report.grants[0], report.grants[1], report.grants[0]]
        let counts = Dictionary(uniqueKeysWithValues: report.summaryCounts.map { ($0.label, $0.count) })
        #expect(counts["users"] == Set(report.grants.map(\.userID)).count)
        #expect(counts["memberships"] == report.grants.count { $0.projectID != nil })
        #expect(counts["managed by a manifest entry"] == report.grants.count { if case .entry? = $0.managedBy { true } else { false } })
        #expect(counts["unmanaged"] == report.grants.count { $0.managedBy == .unmanaged })
        #expect(counts["not in manifests (pending removal)"] == report.grants.count { $0.managedBy == .notInManifests })
        #expect(counts["users"]! > 1 && counts["unmanaged"]! > 0 && counts["not in manifests (pending removal)"]! > 0)
    }

    @Test func aLocationMemberHasTheBytesOfItsString() {
        for file in Self.hostile {
            for line in [0, 5, 10, 1_234_567] {
                var parts = StableJSONWriter()
                parts.beginObject()
                parts.member("managed_by", file: file, line: line)
                parts.endObject()
                var whole = StableJSONWriter()
                whole.beginObject()
                whole.member("managed_by", "\(file):\(line)")
                whole.endObject()
                #expect(parts.finishBytes() == whole.finishBytes())
            }
        }
    }
}
