import CogramTestSupport
import CogramAPI
import CogramManifest
@testable import CogramPlan
import Foundation
import Testing

/// A saved plan is a trust boundary: signed, consistent in itself, and checked against Cogram before any write.
@Suite struct PlanIntegrityTests {
    private let key = PlanSigningKey.derived(fromAPIKey: "test-api-key-0123456789")

    private func richPlan(_ configure: (inout PlanOptions) -> Void = { _ in }) -> Plan {
        let (desired, observed) = F.rich()
        return F.plan(desired, observed, configure)
    }

    /// The plan's JSON edited as a dictionary, then loaded again (what a hand-edited file gives).
    private func edited(_ plan: Plan, _ edit: (inout [String: Any]) -> Void) throws -> Plan {
        var json = try #require(try JSONSerialization.jsonObject(with: plan.jsonData()) as? [String: Any])
        edit(&json)
        return try Plan.load(from: JSONSerialization.data(withJSONObject: json))
    }

    private func editChange(_ json: inout [String: Any], address: String, _ edit: (inout [String: Any]) -> Void) {
        var changes = json["changes"] as! [[String: Any]]
        let i = changes.firstIndex { $0["address"] as? String == address }!
        edit(&changes[i])
        json["changes"] = changes
    }

    /// Sets `key` of the `object` (`target`, `after`) of the change at `address`; `nil` removes it.
    private func editChange(_ json: inout [String: Any], address: String, set key: String, in object: String = "target", to value: Any?) {
        editChange(&json, address: address) { change in
            var fields = change[object] as! [String: Any]
            fields[key] = value
            change[object] = fields
        }
    }

    // MARK: Signature

    @Test func aSignedPlanVerifiesAndSurvivesSaving() throws {
        let signed = try richPlan().signed(with: key)
        #expect(signed.signature?.hasPrefix("hmac-sha256:") == true)
        let loaded = try Plan.load(from: signed.jsonData())
        #expect(throws: Never.self) { try loaded.verifySignature(with: key) }
        #expect(throws: Never.self) { try loaded.verifySignature(with: .derived(fromAPIKey: "test-api-key-0123456789")) }
    }

    @Test func anyEditBreaksTheSignature() throws {
        let signed = try richPlan().signed(with: key)
        let edits: [(inout [String: Any]) -> Void] = [
            { json in self.editChange(&json, address: "project.acme-bridge", set: "project_id", to: "prj_5") },
            { $0["expires_at"] = "2027-01-01T00:00:00Z" },
            { json in
                var inventory = json["inventory"] as! [String: Any]
                inventory["managed_active_projects"] = 4000
                json["inventory"] = inventory
            },
            { json in
                var overrides = json["safety_overrides"] as! [String: Any]
                overrides["allow_mass_archive"] = true
                json["safety_overrides"] = overrides
            },
            { $0["ownership_prefix"] = "" },
        ]
        for edit in edits {
            let tampered = try edited(signed, edit)
            #expect(throws: PlanValidationError.badSignature("the API key")) { try tampered.verifySignature(with: key) }
        }
        #expect(throws: PlanValidationError.badSignature("the API key")) {
            try signed.verifySignature(with: .derived(fromAPIKey: "another-key-0123456789"))
        }
        #expect(throws: PlanValidationError.badSignature("COGRAM_PLAN_KEY")) { try signed.verifySignature(with: .fromSecret("shared")) }
        let unsigned = try edited(signed) { $0["signature"] = nil }
        #expect(throws: PlanValidationError.unsigned) { try unsigned.verifySignature(with: key) }
        let garbage = try edited(signed) { $0["signature"] = "hmac-sha256:zz" }
        #expect(throws: PlanValidationError.badSignature("the API key")) { try garbage.verifySignature(with: key) }
    }

    @Test func thePlanKeyWinsOverTheAPIKeyWhenSet() throws {
        let fromEnvironment = PlanSigningKey.resolve(environment: ["COGRAM_PLAN_KEY": "shared"]) { key }
        #expect(fromEnvironment.source == .planKey)
        let signed = try richPlan().signed(with: fromEnvironment)
        #expect(throws: Never.self) { try signed.verifySignature(with: .fromSecret("shared")) }
        #expect(PlanSigningKey.resolve(environment: ["COGRAM_PLAN_KEY": ""]) { key }.source == .apiKey)
    }

    // MARK: Consistency, whatever the signature

    @Test func plansFromThePlannerAreConsistent() {
        #expect(richPlan().structuralProblems().isEmpty)
        #expect(richPlan { $0.targets = ["acme-bridge"] }.structuralProblems().isEmpty)
        var prefixed = F.rich()
        prefixed.0.ownership = Ownership(externalIDPrefix: "acme-", location: F.loc(1))
        #expect(F.plan(prefixed.0, prefixed.1).structuralProblems().isEmpty)
    }

    /// The error a hand-edited plan fails to load with (what `apply PLANFILE` shows as a damaged file).
    private func loadError(_ plan: Plan, _ edit: (inout [String: Any]) -> Void) throws -> String? {
        do {
            _ = try edited(plan, edit)
            return nil
        } catch let error as PlanValidationError {
            guard case .malformed(let detail) = error else { return "\(error)" }
            return detail
        }
    }

    /// The index of the change at `address` in the plan's JSON, for expected paths.
    private func index(of address: String, in plan: Plan) -> Int {
        plan.changes.firstIndex { $0.address.description == address }!
    }

    @Test func aPreconditionThatDoesNotFitItsActionIsADecodingError() throws {
        let plan = richPlan()
        let i = index(of: "project.acme-old-site", in: plan)
        let error = try loadError(plan) { json in
            editChange(&json, address: "project.acme-old-site") { $0["precondition"] = ["member": "absent"] }
        }
        #expect(error == "changes[\(i)].precondition: archive project.acme-old-site: a member-absent precondition does not fit this action")
    }

    @Test func anAddressThatDoesNotNameItsTargetIsADecodingError() throws {
        let plan = richPlan()
        let i = index(of: "user.ben@acme.example", in: plan)
        let error = try loadError(plan) { json in
            editChange(&json, address: "user.ben@acme.example", set: "email", to: "cat@acme.example")
        }
        #expect(error == "changes[\(i)].address: update_user user.ben@acme.example: the address does not name the target (user.cat@acme.example)")
    }

    @Test func aRoleNoOneKnowsIsADecodingErrorAtItsPath() throws {
        let plan = richPlan()
        let member = index(of: "project.acme-bridge.member.dan@acme.example", in: plan)
        #expect(try loadError(plan) { json in
            editChange(&json, address: "project.acme-bridge.member.dan@acme.example") { $0["after"] = ["role": "admin"] }
        } == "changes[\(member)].after.role: \(plan.changes[member].action.rawValue) project.acme-bridge.member.dan@acme.example: the role to set is not owner, editor or viewer")
        let user = index(of: "user.ben@acme.example", in: plan)
        #expect(try loadError(plan) { json in
            editChange(&json, address: "user.ben@acme.example", set: "role", in: "after", to: "owner")
        } == "changes[\(user)].after.role: update_user user.ben@acme.example: the role to set is not admin, member or guest")
    }

    @Test func fieldsAnActionCannotCarryAreDecodingErrors() throws {
        let plan = richPlan()
        let archive = index(of: "project.acme-old-site", in: plan)
        #expect(try loadError(plan) { json in
            editChange(&json, address: "project.acme-old-site") { $0["after"] = ["status": "archived", "name": "Pwned"] }
        } == "changes[\(archive)].after: archive project.acme-old-site: it holds fields a archive change cannot set")
        let member = index(of: "project.acme-bridge.member.dan@acme.example", in: plan)
        let action = plan.changes[member].action.rawValue
        #expect(try loadError(plan) { json in
            editChange(&json, address: "project.acme-bridge.member.dan@acme.example", set: "name", in: "after", to: "Pwned")
        } == "changes[\(member)].after: \(action) project.acme-bridge.member.dan@acme.example: it holds fields a \(action) change cannot set")
        #expect(try loadError(plan) { json in
            editChange(&json, address: "project.acme-old-site", set: "project_id", to: nil)
        } == "changes[\(archive)].target: archive project.acme-old-site: the target has no project_id")
    }

    @Test func unknownKeysAreIgnored() throws {
        let plan = richPlan()
        let loaded = try edited(plan) { json in
            json["later_key"] = ["anything": 1]
            editChange(&json, address: "project.acme-old-site") { $0["comment"] = "added by a later version" }
        }
        #expect(loaded.changes == plan.changes)
    }

    @Test func aLoadedPlanWritesTheSameBytes() throws {
        let signed = try richPlan().signed(with: key)
        #expect(try Plan.load(from: signed.jsonData()).jsonData() == signed.jsonData())
    }

    @Test func aChangeOutsideTheOwnershipPrefixIsRefused() throws {
        var (desired, observed) = F.rich()
        desired.ownership = Ownership(externalIDPrefix: "acme-", location: F.loc(1))
        observed.projects.append(F.project("prj_x", externalID: "finance-ledger", name: "Ledger"))
        let plan = try edited(F.plan(desired, observed)) { json in
            editChange(&json, address: "project.acme-old-site") { c in
                c["address"] = "project.finance-ledger"
                c["target"] = ["project_id": "prj_x", "project_external_id": "finance-ledger"]
            }
        }
        #expect(plan.structuralProblems() == [#"archive project.finance-ledger: the external_id is outside the ownership prefix "acme-""#])
        #expect(throws: PlanValidationError.self) { try plan.validateForApply(apiURL: "https://api.cogram.com", now: F.fixedNow) }
    }

    @Test func implausibleDatesAreRefused() throws {
        let plan = richPlan()
        let long = try edited(plan) { $0["expires_at"] = "2026-03-08T12:00:01Z" }
        #expect(throws: PlanValidationError.implausibleDates(
            "it would stay valid from 2026-02-28T12:00:00Z to 2026-03-08T12:00:01Z, longer than the 7 days a plan may")) {
            try long.validateForApply(apiURL: "https://api.cogram.com", now: F.fixedNow)
        }
        let week = try edited(plan) { $0["expires_at"] = "2026-03-07T12:00:00Z" }
        #expect(throws: Never.self) { try week.validateForApply(apiURL: "https://api.cogram.com", now: F.fixedNow) }
        #expect(throws: PlanValidationError.implausibleDates("created_at 2026-02-28T12:00:00Z is in the future")) {
            try plan.validateForApply(apiURL: "https://api.cogram.com", now: F.fixedNow.addingTimeInterval(-3600))
        }
    }

    // MARK: Targets re-read from Cogram

    private func richStore() -> (FakeStore, DesiredState) {
        let (desired, observed) = F.rich()
        return (FakeStore(projects: observed.projects, members: observed.members, users: observed.users), desired)
    }

    /// The rich fixture's store, and the plan made from what is read of it.
    private func richStoreAndPlan() async throws -> (FakeStore, Plan) {
        let (store, desired) = richStore()
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        return (store, F.plan(desired, observed))
    }

    @Test func aTargetIDSwappedForAnotherProjectIsRefusedWithNothingWritten() async throws {
        let (store, plan) = try await richStoreAndPlan()
        // The rename of acme-bridge, aimed at the unmanaged project prj_5.
        let tampered = try edited(plan) { json in
            editChange(&json, address: "project.acme-bridge", set: "project_id", to: "prj_5")
        }
        #expect(tampered.structuralProblems().isEmpty)
        let failures = try await checkPreconditions(plan: tampered, client: FakeCogram(store: store))
        #expect(failures.contains { $0.address == "project.acme-bridge" && $0.fields == ["target"] })
        #expect(await store.writeLog.isEmpty)
    }

    @Test func aUserIDSwappedForAnotherUserIsRefused() async throws {
        let (store, plan) = try await richStoreAndPlan()
        // ben's promotion to admin, aimed at eve's id.
        let tampered = try edited(plan) { json in
            editChange(&json, address: "user.ben@acme.example", set: "user_id", to: "usr_cat")
        }
        let failures = try await checkPreconditions(plan: tampered, client: FakeCogram(store: store))
        let failure = try #require(failures.first { $0.address == "user.ben@acme.example" })
        #expect(failure.fields == ["target"])
        #expect(failure.found == "user usr_cat is not ben@acme.example (that email belongs to usr_ben)")
    }

    @Test func anArchiveAimedOutsideThePrefixIsRefusedLive() async throws {
        let (store, _) = richStore()
        let extra = F.project("prj_x", externalID: "finance-ledger", name: "Ledger")
        await store.setProjects(await store.projects + [extra])
        var (desired, _) = F.rich()
        desired.ownership = Ownership(externalIDPrefix: "acme-", location: F.loc(1))
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        let plan = F.plan(desired, observed)
        let tampered = try edited(plan) { json in
            editChange(&json, address: "project.acme-old-site", set: "project_id", to: "prj_x")
        }
        let failures = try await checkPreconditions(plan: tampered, client: FakeCogram(store: store))
        #expect(failures.contains { $0.address == "project.acme-old-site" && $0.fields == ["target"] })
    }

    // MARK: Output from API text

    @Test func apiTextIsEscapedAndNeverStartsALine() throws {
        let evil = "acme-x\n::error::pwned\u{1B}[31m\u{85}\u{2028}`"
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: evil, name: "Evil\u{1B}]8;;http://x\u{7}")], users: F.users)
        let plan = F.plan(DesiredState(), observed) { $0.allowMassArchive = true }
        #expect(plan.changes.count == 1)
        for text in [renderHuman(plan, color: false), renderMarkdown(plan)] {
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x85 || $0.value == 0x2028 || $0.value == 0x07 })
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("::") })
        }
        #expect(renderHuman(plan, color: false).contains(#"project.acme-x\n::error::pwned\u{1B}[31m\u{85}\u{2028}`"#))
        let report = ApplyReport(
            results: [ChangeResult(action: .archive, address: plan.changes[0].address.description, outcome: .failed("bad\nthing"))],
            writes: 1, interrupted: false)
        let rendered = renderReport(report, color: false)
        #expect(rendered.split(separator: "\n").count == 2)
        #expect(!rendered.contains("\u{1B}"))
    }

    @Test func markdownCodeSpansOutlastBacktickRuns() {
        #expect(markdownCode("a") == "`a`")
        #expect(markdownCode("a`b") == "``a`b``")
        #expect(markdownCode("``x") == "``` ``x ```")
        #expect(markdownCode("x\ny") == #"`x\ny`"#)
        let plan = F.plan(DesiredState(), ObservedState(projects: [F.project("p", externalID: "a```b")], users: F.users))
        let md = renderMarkdown(plan)
        #expect(md.contains("````project.a```b````"))
        #expect(md.contains("````diff"))
    }
}
