import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// The organization at the top of every rendering, and in the JSON documents and the signed body of saved plans.
@Suite struct OrganizationHeaderTests {
    private static let key = PlanSigningKey.derived(fromAPIKey: "test-api-key-0123456789")

    private static func bound(_ desired: DesiredState = F.rich().0, apiKeyEnv: String? = "COGRAM_API_KEY_ACME_US") -> DesiredState {
        var desired = desired
        desired.organization = OrganizationSection(
            name: "Acme US", anchor: "usr_1", apiKeyEnv: apiKeyEnv, location: F.loc(1), root: ".")
        return desired
    }

    private static func object(_ plan: Plan) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: plan.jsonData()) as? [String: Any])
    }

    @Test func theHumanPlanStartsWithTheOrganizationThenTheScopeThenThePlan() {
        var plan = F.plan(Self.bound(), F.rich().1) { $0.targets = ["acme-bridge"] }
        plan.keySource = "COGRAM_API_KEY_ACME_US"
        let lines = renderHuman(plan, color: false).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(lines.prefix(5)) == [
            "Organization: Acme US (anchor usr_1)",
            "API: https://api.cogram.com, key from COGRAM_API_KEY_ACME_US",
            "",
            "Targeted plan (--target): only project.acme-bridge. Other projects, users and drift elsewhere are not in this plan.",
            "",
        ])
        #expect(lines.last?.hasPrefix("Plan: ") == true)
        // Without a key source from the command, the recorded api_key_env is shown (a saved plan under `show`).
        plan.keySource = nil
        #expect(renderHuman(plan, color: false).contains("key from COGRAM_API_KEY_ACME_US"))
    }

    @Test func anUnboundPlanSaysSoAndNamesTheDefaultVariable() {
        let plan = F.plan(DesiredState(), ObservedState())
        #expect(renderHuman(plan, color: false) == """
            Organization: unnamed organization
            API: https://api.cogram.com, key from COGRAM_API_KEY

            No changes. Cogram matches the manifests.
            """)
        let markdown = renderMarkdown(plan)
        #expect(markdown.hasPrefix("""
            ### cogramctl plan

            Organization: unnamed organization  
            API: `https://api.cogram.com`, key from `COGRAM_API_KEY`

            _Not bound to an organization: nothing checks
            """))
        #expect(!renderMarkdown(F.plan(Self.bound(DesiredState()), ObservedState())).contains("Not bound"))
        var sandbox = plan
        sandbox.apiURL = "sandbox:/tmp/db.sqlite"
        #expect(renderHuman(sandbox, color: false).contains("API: sandbox:/tmp/db.sqlite, key from the embedded sandbox"))
    }

    @Test func aPRScopedPlanShowsItsNoticeUnderTheHeaderNotAmongTheWarnings() {
        let (desired, observed) = F.rich()
        let scope = ProjectScope(externalIDs: ["acme-bridge"], description: "changed since origin/main")
        var plan = makePlan(desired: Self.bound(desired), observed: observed, scope: scope, options: F.options())
        plan.warnings.append("something else")
        let human = renderHuman(plan, color: false)
        let lines = human.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[3] == "Scoped plan: 1 project changed since origin/main; drift in other projects is not checked (plan without --changed-since to check everything).")
        #expect(!human.contains("Warning: this plan is scoped"))
        #expect(human.contains("Warning: something else"))
        let markdown = renderMarkdown(plan)
        let note = markdown.range(of: "> Scoped plan: 1 project")?.lowerBound
        let header = markdown.range(of: "Organization: Acme US (anchor usr\\_1)")?.lowerBound
        #expect(header != nil && note != nil && header! < note!, "\(markdown)")
        #expect(!markdown.contains("- this plan is scoped"))
        #expect(plan.warnings.first?.hasPrefix("this plan is scoped to 1 project") == true, "the JSON document keeps it")
    }

    @Test func theJSONDocumentCarriesTheOrganizationWithNullsWhenUnbound() throws {
        let bound = try Self.object(F.plan(Self.bound(), F.rich().1))
        let organization = try #require(bound["organization"] as? [String: Any])
        #expect(organization["name"] as? String == "Acme US")
        #expect(organization["anchor"] as? String == "usr_1")
        #expect(organization["api_key_env"] as? String == "COGRAM_API_KEY_ACME_US")
        let unbound = try #require(try Self.object(F.plan(DesiredState(), ObservedState()))["organization"] as? [String: Any])
        #expect(Set(unbound.keys) == ["name", "anchor", "api_key_env"])
        #expect(unbound.values.allSatisfy { $0 is NSNull })
    }

    @Test func theOrganizationIsSignedAndPlansSavedBeforeItStillVerify() throws {
        let signed = try F.plan(Self.bound(), F.rich().1).signed(with: Self.key)
        let reloaded = try Plan.load(from: signed.jsonData())
        #expect(reloaded.organization == PlanOrganization(name: "Acme US", anchor: "usr_1", apiKeyEnv: "COGRAM_API_KEY_ACME_US"))
        try reloaded.verifySignature(with: Self.key)
        for edit in [("name", "Acme UK"), ("anchor", "usr_2"), ("api_key_env", "COGRAM_API_KEY_ACME_UK")] {
            var json = try Self.object(signed)
            var organization = try #require(json["organization"] as? [String: Any])
            organization[edit.0] = edit.1
            json["organization"] = organization
            let tampered = try Plan.load(from: JSONSerialization.data(withJSONObject: json))
            #expect(throws: PlanValidationError.badSignature("the API key")) { try tampered.verifySignature(with: Self.key) }
        }
        // A plan of an older cogramctl: no "organization" key at all. It loads as unbound and its signature holds.
        var old = F.plan(DesiredState(), ObservedState())
        old.organization = nil
        let oldSigned = try old.signed(with: Self.key)
        let oldJSON = try Self.object(oldSigned)
        #expect(oldJSON["organization"] == nil)
        let oldReloaded = try Plan.load(from: oldSigned.jsonData())
        #expect(oldReloaded.organization == nil && oldReloaded.isUnbound)
        try oldReloaded.verifySignature(with: Self.key)
    }

    @Test func aSavedPlanWhoseKeyVariableNoManifestCouldNameIsRefusedWithoutEchoingIt() throws {
        var json = try Self.object(F.plan(Self.bound(), F.rich().1))
        json["organization"] = ["name": "Acme", "anchor": "usr_1", "api_key_env": "AWS_SECRET_ACCESS_KEY"]
        do {
            _ = try Plan.load(from: JSONSerialization.data(withJSONObject: json))
            Issue.record("a plan with api_key_env AWS_SECRET_ACCESS_KEY must not load")
        } catch {
            #expect("\(error)".contains("organization.api_key_env"))
            #expect(!"\(error)".contains("AWS_SECRET"))
        }
    }

    @Test func aSavedPlanChecksItsAnchorAgainstTheOrganizationTheKeyReads() async throws {
        let plan = try F.plan(Self.bound(), F.rich().1).signed(with: Self.key)
        let store = FakeStore(projects: F.rich().1.projects, members: F.rich().1.members, users: F.users)
        let verdict = try await SavedPlanVerification.verify(
            plan, key: Self.key, apiURL: "https://api.cogram.com", manifests: nil, options: F.options(),
            client: FakeCogram(store: store), parallelism: 1, now: F.fixedNow, keySource: "COGRAM_API_KEY_ACME_US")
        guard case .wrongOrganization(let mismatch) = verdict else {
            Issue.record("expected the anchor check to refuse, got \(verdict)")
            return
        }
        #expect(mismatch == AnchorMismatch(organization: "Acme US", anchor: "usr_1", keySource: "COGRAM_API_KEY_ACME_US"))
        #expect("\(mismatch)".contains("COGRAM_API_KEY_ACME_US") && "\(mismatch)".contains("'Acme US'"))
        #expect(await store.writeLog.isEmpty)
    }

    @Test func driftAndAccessStartWithTheSameHeader() {
        var desired = Self.bound(DesiredState(projects: [F.dproject("acme-x", name: "New")]))
        var report = makeDriftReport(
            desired: desired, observed: ObservedState(), plan: F.plan(desired, ObservedState()), checkedAt: F.fixedNow,
            today: CalendarDay(F.fixedNow))
        report.organization.keySource = "--api-key-file key.txt"
        #expect(renderHuman(report).hasPrefix("Organization: Acme US (anchor usr_1)\nAPI: https://api.cogram.com, key from --api-key-file key.txt\n"))
        desired.organization = nil
        let access = makeAccessReport(
            evaluation: desired.evaluated(asOf: CalendarDay(F.fixedNow)), desired: desired, observed: ObservedState(),
            apiURL: "https://api.cogram.com", base: ManifestPathBase(directories: []))
        #expect(renderHuman(access).hasPrefix("Organization: unnamed organization\nAPI: https://api.cogram.com, key from COGRAM_API_KEY\n"))
        #expect(renderMarkdown(access).contains("Organization: unnamed organization  \nAPI: `https://api.cogram.com`, key from `COGRAM_API_KEY`\n"))
    }
}
