import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// `email: [scope project from→to reason location expires]`, one string per access change, for exact comparison.
private func summary(_ plan: Plan) -> [String: [String]] {
    var out: [String: [String]] = [:]
    for person in plan.access {
        out[person.email] = person.changes.map { c in
            [c.scope.rawValue, c.project ?? c.projectID.map { "#\($0)" } ?? "-", "\(c.from ?? "nil")→\(c.to ?? "nil")",
             c.cause.reason.description, c.cause.location ?? "nil", c.cause.expires?.description ?? "nil"].joined(separator: " ")
        }
    }
    return out
}

@Suite struct PlanByPersonTests {
    static let yaml = """
        version: 1
        offboarded:
          - {email: eve@acme.example}
        groups:
          - name: leads
            members:
              - {email: dan@acme.example, role: owner, expires: 2027-05-31}
        users:
          - {email: ana@acme.example, role: member}
          - {email: ben@acme.example, role: admin}
          - {email: cat@acme.example, role: admin, expires: 2027-03-31, then: guest}
        projects:
          - external_id: acme-x
            name: X
            members:
              - {email: ana@acme.example, role: viewer}
              - {email: ben@acme.example, role: owner}
              - {email: cat@acme.example, role: editor, expires: 2027-03-31}
              - group: leads

        """

    static let observed = ObservedState(
        projects: [F.project("prj_1", externalID: "acme-x", name: "X"), F.project("prj_9", externalID: nil, name: "Loose")],
        users: [F.user("ana", role: .admin), F.user("ben"), F.user("cat", role: .admin), F.user("dan"), F.user("eve")],
        members: [
            "prj_1": [F.member("ana", .owner), F.member("cat", .editor), F.member("eve", .editor)],
            "prj_9": [F.member("eve", .viewer), F.member("ana", .owner)],
        ])

    @Test func directGroupExpiredAndOffboardedChangesAreGroupedByPersonWithTheirEntry() throws {
        let plan = F.plan(try loadYAML(Self.yaml), Self.observed) { $0.now = try! noon("2027-04-01") }
        #expect(plan.errors.isEmpty, "\(plan.errors)")
        #expect(plan.access.map(\.email) == ["ana@acme.example", "ben@acme.example", "cat@acme.example", "dan@acme.example", "eve@acme.example"])
        #expect(summary(plan) == [
            "ana@acme.example": [
                "organization - admin→member manifest org.yaml:9 nil",
                "project acme-x owner→viewer manifest org.yaml:16 nil",
            ],
            "ben@acme.example": [
                "organization - member→admin manifest org.yaml:10 nil",
                "project acme-x nil→owner manifest org.yaml:17 nil",
            ],
            "cat@acme.example": [
                "organization - admin→guest expired org.yaml:11 2027-03-31",
                "project acme-x editor→nil expired org.yaml:18 2027-03-31",
            ],
            "dan@acme.example": ["project acme-x nil→owner group:leads org.yaml:7 2027-05-31"],
            "eve@acme.example": [
                "project acme-x editor→nil offboarded org.yaml:3 nil",
                "project #prj_9 viewer→nil offboarded org.yaml:3 nil",
            ],
        ])
        let eve = try #require(plan.access.last?.changes.last)
        #expect(eve.projectID == "prj_9" && eve.projectName == "Loose" && eve.project == nil)
        let ana = try #require(plan.access.first?.changes)
        #expect(ana.map(\.isDestructive) == [true, true], "admin → member and owner → viewer are both lowered")
        #expect(plan.access[1].changes.map(\.isDestructive) == [false, false], "raised and added")
        #expect(plan.isDestructive)
        #expect(plan.accessRemovedCount == 3)
        #expect(plan.structuralProblems().isEmpty)
    }

    @Test func aGroupReferenceThatExpiresFirstGivesTheMembershipItsDate() throws {
        let yaml = """
            version: 1
            groups:
              - name: leads
                members:
                  - {email: dan@acme.example, role: editor}
            projects:
              - external_id: acme-x
                name: X
                members:
                  - {email: ana@acme.example, role: owner}
                  - {group: leads, expires: 2027-04-10}

            """
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-x", name: "X")], users: F.users,
            members: ["prj_1": [F.member("ana", .owner)]])
        let plan = F.plan(try loadYAML(yaml), observed) { $0.now = try! noon("2027-04-01") }
        #expect(summary(plan) == ["dan@acme.example": ["project acme-x nil→editor group:leads org.yaml:5 2027-04-10"]])
        #expect(!plan.isDestructive)
        #expect(plan.expiring.map(\.email) == ["dan@acme.example"])
    }

    @Test func aRemovalTheManifestsAskForNamesTheProjectsEntry() throws {
        let desired = DesiredState(projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner)])])
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-x", name: "X")], users: F.users,
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .viewer)]])
        let plan = F.plan(desired, observed)
        let change = try #require(plan.access.first?.changes.first)
        #expect(plan.access.map(\.email) == ["ben@acme.example"])
        #expect(change.cause == AccessCause(.manifest, at: desired.projects[0].location))
        #expect(change.from == "viewer" && change.to == nil && change.projectID == "prj_1")
    }

    // MARK: destructive and access-removed

    static func plan(_ changes: [Change]) -> Plan {
        Plan(toolVersion: "0.1.0", createdAt: F.stamp, expiresAt: F.stamp, apiURL: "https://api.cogram.com", manifestDigest: "", changes: changes)
    }

    static func member(_ edit: ChangeEdit) -> Change {
        Change(
            edit, address: .member("acme-x", email: "ana@acme.example"), precondition: .memberAbsent,
            target: ChangeTarget(projectID: "prj_1", projectExternalID: "acme-x", userID: "usr_ana", email: "ana@acme.example"))
    }

    static func user(from: String?, to: OrganizationRole?, externalID: PatchField<String> = .absent) -> Change {
        let edit = UserEdit(
            before: UserFields(role: from.map(OpenEnum.init(rawValue:))), after: UserFields(role: to, externalID: externalID))
        return Change(
            .updateUser(edit), address: .user(email: "ana@acme.example"), precondition: .user(role: .known(.member), externalID: nil),
            target: ChangeTarget(userID: "usr_ana", email: "ana@acme.example"))
    }

    @Test(arguments: [
        (PlanByPersonTests.member(.addMember(.owner)), false),
        (PlanByPersonTests.member(.updateMember(from: .known(.viewer), to: .editor)), false),
        (PlanByPersonTests.member(.updateMember(from: .known(.owner), to: .editor)), true),
        (PlanByPersonTests.member(.updateMember(from: OpenEnum(rawValue: "superuser"), to: .owner)), true),
        (PlanByPersonTests.member(.removeMember(from: .known(.viewer))), true),
        (PlanByPersonTests.user(from: "member", to: .admin), false),
        (PlanByPersonTests.user(from: "admin", to: .member), true),
        (PlanByPersonTests.user(from: "member", to: .guest), true),
        (PlanByPersonTests.user(from: "auditor", to: .admin), true),
        (PlanByPersonTests.user(from: nil, to: nil, externalID: .value("E-9")), false),
    ])
    func destructiveMeansRemovedOrLowered(change: Change, destructive: Bool) {
        #expect(Self.plan([change]).isDestructive == destructive)
        #expect(change.lowersAccess == (destructive && change.action != .removeMember))
    }

    @Test func anArchiveIsDestructiveButRemovesNoAccess() {
        let archive = Change(
            .archive, address: .project("acme-x"), precondition: .project(updatedAt: F.stamp, status: .active),
            target: ChangeTarget(projectID: "prj_1", projectExternalID: "acme-x"))
        let plan = Self.plan([archive, Self.member(.removeMember(from: .known(.editor)))])
        #expect(plan.isDestructive)
        #expect(plan.accessRemovedCount == 1)
        #expect(Self.plan([archive]).accessRemovedCount == 0)
        #expect(Self.plan([archive]).access.isEmpty)
        #expect(Self.plan([Self.user(from: nil, to: nil, externalID: .value("E-9"))]).access.isEmpty, "an external_id is no access")
    }

    // MARK: expiring

    static let expiringYAML = """
        version: 1
        users:
          - {email: ana@acme.example, role: admin, expires: 2027-03-31, then: member}
        projects:
          - external_id: acme-x
            name: X
            members:
              - {email: ana@acme.example, role: owner}
              - {email: ben@acme.example, role: editor, expires: 2027-03-31}

        """

    /// Cogram as `expiringYAML` asks it to be: no changes, only entries that expire.
    static let expiringObserved = ObservedState(
        projects: [F.project("prj_1", externalID: "acme-x", name: "X")],
        users: [F.user("ana", role: .admin), F.user("ben")],
        members: ["prj_1": [F.member("ana", .owner), F.member("ben", .editor)]])

    @Test(arguments: [
        ("2027-03-16", 14, false), ("2027-03-17", 14, true), ("2027-03-31", 14, true), ("2027-04-01", 14, false),
        ("2027-03-31", 0, true), ("2027-03-30", 0, false), ("2027-01-01", 90, true),
    ])
    func expiringMeansTodayUpToTheEndOfTheWindow(today: String, window: Int, listed: Bool) throws {
        let plan = F.plan(try loadYAML(Self.expiringYAML), Self.expiringObserved) {
            $0.now = try! noon(today)
            $0.expiryWarningDays = window
        }
        if listed {
            #expect(plan.expiring == [
                ExpiringAccess(email: "ana@acme.example", project: nil, role: "admin", expires: CalendarDay(parsing: "2027-03-31")!, location: "org.yaml:3"),
                ExpiringAccess(email: "ben@acme.example", project: "acme-x", role: "editor", expires: CalendarDay(parsing: "2027-03-31")!, location: "org.yaml:9"),
            ])
            #expect(plan.changes.isEmpty, "expiring entries are not changes")
        } else {
            #expect(plan.expiring.isEmpty)
        }
    }

    /// manifest-v1.md: a saved plan that relies on an entry expiring on day D is valid at most until the end of D.
    @Test(arguments: [
        // (plan's day, validity in hours, expected expires_at)
        ("2027-03-31", 24.0, "2027-04-01T00:00:00Z"),   // capped at the end of the expiring day
        ("2027-03-30", 24.0, "2027-03-31T12:00:00Z"),   // the day after ends within the validity: not capped
        ("2027-03-30", 72.0, "2027-04-01T00:00:00Z"),   // a longer validity reaches past the day: capped
        ("2027-04-01", 24.0, "2027-04-02T12:00:00Z"),   // expired entries count as absent and cap nothing
    ])
    func aSavedPlanIsValidAtMostUntilTheEndOfTheDayAnEntryExpires(today: String, hours: Double, expected: String) throws {
        let plan = F.plan(try loadYAML(Self.expiringYAML), Self.expiringObserved) {
            $0.now = try! noon(today)
            $0.validity = hours * 3600
            $0.expiryWarningDays = 0
        }
        #expect(plan.expiresAt == expected)
    }

    // MARK: documents and signature

    @Test func theJSONCarriesAccessAndExpiringAndTheSignatureLeavesAccessOut() throws {
        var plan = F.plan(try loadYAML(Self.yaml), Self.observed) { $0.now = try! noon("2027-04-01") }
        plan.expiring = [ExpiringAccess(email: "dan@acme.example", project: "acme-x", role: "owner", expires: CalendarDay(parsing: "2027-04-05")!, location: "org.yaml:7")]
        let key = PlanSigningKey.fromSecret("test-secret")
        let signed = try plan.signed(with: key)
        let data = try signed.jsonData()
        let object = try #require(JSONValue(json: data)?.objectValue)
        let access = try #require(object["access"]?.arrayValue)
        #expect(access.count == 5)
        let eve = try #require(access.last?.objectValue)
        #expect(eve["email"] == .string("eve@acme.example"))
        let loose = try #require(eve["changes"]?.arrayValue?.last?.objectValue)
        #expect(loose == [
            "scope": .string("project"), "project": .null, "project_id": .string("prj_9"), "project_name": .string("Loose"),
            "from": .string("viewer"), "to": .null, "reason": .string("offboarded"), "location": .string("org.yaml:3"),
            "expires": .null,
        ])
        #expect(object["expiring"]?.arrayValue?.first?.objectValue?["expires"] == .string("2027-04-05"))

        // `access` is derived: rewriting it leaves the signature valid and the plan read back recomputes it.
        var forgedObject = object
        forgedObject["access"] = .array([.object(["email": .string("mallory@acme.example"), "changes": .array([])])])
        let forged = try StableJSON.data(JSONValue.object(forgedObject))
        let read = try Plan.load(from: forged)
        try read.verifySignature(with: key)
        #expect(read.access == signed.access)
        #expect(read == signed)

        // `expiring`, when not empty, is signed.
        let moved = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "2027-04-05", with: "2099-04-05")
        #expect(throws: PlanValidationError.self) { try Plan.load(from: Data(moved.utf8)).verifySignature(with: key) }
    }

    @Test func aPlanSavedBeforeAccessAndCausesExistedStillVerifies() throws {
        var plan = F.plan(try loadYAML(Self.yaml), Self.observed) { $0.now = try! noon("2027-04-01") }
        for index in plan.changes.indices {
            plan.changes[index].cause = nil
            if plan.changes[index].action.isMemberChange, !plan.changes[index].isOffboarding { plan.changes[index].projectName = nil }
        }
        let key = PlanSigningKey.fromSecret("test-secret")
        let signed = try plan.signed(with: key)
        // The document as an older cogramctl wrote it: no `access`, no `expiring`.
        guard case .object(var object)? = JSONValue(json: try signed.jsonData()) else {
            Issue.record("the plan is not a JSON object")
            return
        }
        object["access"] = nil
        object["expiring"] = nil
        let old = try StableJSON.data(JSONValue.object(object))
        #expect(!String(decoding: old, as: UTF8.self).contains("\"access\""))
        let read = try Plan.load(from: old)
        try read.verifySignature(with: key)
        // Without causes the plan by person still shows every change; offboarding is known by its reason.
        #expect(read.access.map(\.email) == signed.access.map(\.email))
        #expect(read.access.last?.changes.map(\.cause.reason) == [.offboarded, .offboarded])
        #expect(read.access.first?.changes.first?.cause == AccessCause(.manifest))
    }

    @Test func aCauseThatDisagreesWithTheReasonIsAStructuralProblem() throws {
        var plan = F.plan(try loadYAML(Self.yaml), Self.observed) { $0.now = try! noon("2027-04-01") }
        let index = try #require(plan.changes.firstIndex { $0.cause?.reason == .manifest && $0.action == .addMember })
        plan.changes[index].cause?.reason = .offboarded
        #expect(plan.structuralProblems().count == 1)
        #expect(plan.structuralProblems().first?.contains("its cause (offboarded) and its reason disagree") == true)
    }

    @Test func aCauseWithAnUnknownReasonIsRefusedWhenRead() throws {
        let plan = F.plan(try loadYAML(Self.yaml), Self.observed) { $0.now = try! noon("2027-04-01") }
        let text = String(decoding: try plan.jsonData(), as: UTF8.self)
            .replacingOccurrences(of: "\"reason\" : \"group:leads\"", with: "\"reason\" : \"friend\"")
        #expect(throws: PlanValidationError.self) { try Plan.load(from: Data(text.utf8)) }
    }

    // MARK: renderings

    @Test func everyRenderingShowsThePeopleBeforeTheObjectChanges() throws {
        var plan = F.plan(try loadYAML(Self.yaml), Self.observed) { $0.now = try! noon("2027-04-01") }
        plan.expiring = [ExpiringAccess(email: "dan@acme.example", project: "acme-x", role: "owner", expires: CalendarDay(parsing: "2027-04-05")!, location: "org.yaml:7")]
        let human = renderHuman(plan, color: false)
        let people = try #require(human.range(of: "Access by person (5 people):"))
        let legend = try #require(human.range(of: "cogramctl will make the following changes"))
        #expect(people.lowerBound < legend.lowerBound)
        #expect(human.contains("    - project#prj_9 (\"Loose\"): viewer, REMOVED [offboarded, org.yaml:3]"))
        #expect(human.contains("    ~ project.acme-x (\"X\"): owner → viewer (lowered) [manifest, org.yaml:16]"))
        #expect(human.contains("    ~ organization role: admin → guest (lowered) [expired 2027-03-31, org.yaml:11]"))
        #expect(human.contains("    + project.acme-x (\"X\"): owner [group:leads, org.yaml:7, expires 2027-05-31]"))
        #expect(human.contains("  dan@acme.example: owner in project.acme-x until 2027-04-05 (org.yaml:7)"))

        let markdown = renderMarkdown(plan)
        let section = try #require(markdown.range(of: "**Access by person** (5 people, 9 changes)"))
        let table = try #require(markdown.range(of: "| Action | Count |", options: .caseInsensitive))
        let byProject = try #require(markdown.range(of: "**Changes by project**"))
        let details = try #require(markdown.range(of: "<details>"))
        #expect(table.lowerBound < section.lowerBound && section.lowerBound < byProject.lowerBound && byProject.lowerBound < details.lowerBound)
        #expect(markdown.contains("| eve@\u{200B}acme.example | `project.acme-x` (X) | ⚠️ **removed** (was editor) | offboarded `org.yaml:3` |"))
        #expect(markdown.contains("|  | `project#prj_9` (Loose) | ⚠️ **removed** (was viewer) | offboarded `org.yaml:3` |"))
        #expect(markdown.contains("| cat@\u{200B}acme.example | organization role | ⚠️ admin → **guest** (lowered) | expired 2027-03-31 `org.yaml:11` |"))
        #expect(markdown.contains("- dan@\u{200B}acme.example: owner in `project.acme-x` until 2027-04-05 (`org.yaml:7`)"))
    }

    @Test func aPlanWithNothingToChangeStillListsWhatExpires() throws {
        let plan = F.plan(try loadYAML(Self.expiringYAML), Self.expiringObserved) { $0.now = try! noon("2027-03-30") }
        #expect(plan.changes.isEmpty && plan.expiring.count == 2)
        let human = renderHuman(plan, color: false)
        #expect(human.hasPrefix("Organization: unnamed organization\nAPI: https://api.cogram.com, key from COGRAM_API_KEY\n\nExpiring soon (within the warning window; not changes of this plan):\n  ana@acme.example: admin in the organization until 2027-03-31 (org.yaml:3)"))
        #expect(human.hasSuffix("No changes. Cogram matches the manifests."))
        #expect(renderMarkdown(plan).contains("- ben@\u{200B}acme.example: editor in `project.acme-x` until 2027-03-31 (`org.yaml:9`)"))
        #expect(!renderMarkdown(plan).contains("Access by person"))
    }

    @Test func theMarkdownAccessSectionIsCutToItsShareOfTheComment() {
        let users = (0..<3000).map { F.user("user\($0)") }
        let desired = DesiredState(projects: (0..<1500).map { i in
            F.dproject("acme-p-\(i)", name: "Project \(i)", members: [F.dmember("user\(i)", .owner), F.dmember("user\(i + 1500)", .viewer)])
        })
        let plan = F.plan(desired, ObservedState(users: users))
        let markdown = renderMarkdown(plan)
        #expect(markdown.utf8.count < 65_536)
        #expect(markdown.contains("more access changes not shown; `cogramctl show PLANFILE` lists them all._"))
        #expect(markdown.contains("**Changes by project**"))
    }
}

@Suite struct ExpiringSectionTests {
    static let entries = [
        ExpiringAccess(email: "ana@acme.example", project: nil, role: "admin", expires: CalendarDay(parsing: "2027-03-31")!, location: "org.yaml:3"),
    ]

    @Test func driftAppendsTheSectionAfterItsReportOrNothing() {
        #expect(renderExpiring([], markdown: false).isEmpty)
        #expect(renderExpiring([], markdown: true).isEmpty)
        #expect(renderExpiring(Self.entries, markdown: false)
            == "\nExpiring soon (within the warning window; not changes of this plan):\n  ana@acme.example: admin in the organization until 2027-03-31 (org.yaml:3)\n")
        #expect(renderExpiring(Self.entries, markdown: true)
            == "\n\n**Expiring soon (within the warning window; not changes of this plan)**\n\n- ana@\u{200B}acme.example: admin in the organization until 2027-03-31 (`org.yaml:3`)\n")
    }
}
