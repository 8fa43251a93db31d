import CogramAPI
import CogramManifest
import CogramTestSupport
import Foundation
import Testing

@testable import CogramPlan

/// Which plans of a set `apply` takes, and what `--org` checks without the other organizations' keys
/// (docs/plan-and-apply.md, "Applying several organizations").
@Suite struct PlanSetApplyTests {
    private let usKey = TwoOrganizationPlans.usKey
    private let euKey = TwoOrganizationPlans.euKey

    /// A set of Acme EU (position 0) and Acme US (position 1); `outer` signs the set itself.
    private func set(outer: PlanSigningKey? = nil) throws -> UnverifiedPlanSet {
        try UnverifiedPlanSet(data: TwoOrganizationPlans.signedSet(outer: outer).jsonData())
    }

    @Test func orgSelectsByNameAndRefusesANameTheSetDoesNotHold() throws {
        let unverified = try set()
        #expect(try PlanSetApply.positions(unverified, names: []) == [0, 1])
        #expect(try PlanSetApply.positions(unverified, names: ["Acme US"]) == [1])
        #expect(throws: PlanSetApply.UnknownOrganizations.self) {
            try PlanSetApply.positions(unverified, names: ["Acme UK", "Acme US"])
        }
    }

    @Test func withOnlyItsKeyASelectedPlanIsCheckedOnItsOwnSignature() throws {
        let unverified = try set()
        let plans = try PlanSetApply.plans(unverified, positions: [1]) { $0 == 1 ? usKey : nil }
        #expect(plans.map(\.organization?.name) == ["Acme US"])
        // The EU key in the US position (two keys swapped) does not verify the US plan.
        #expect(throws: PlanSetError.self) { try PlanSetApply.plans(unverified, positions: [1]) { $0 == 1 ? euKey : nil } }
    }

    @Test func withEveryKeyTheSetsOwnSignatureIsCheckedEvenWithOrg() throws {
        let forged = try set(outer: .fromSecret("not the organizations' keys"))
        let keys = { (position: Int) -> PlanSigningKey? in position == 0 ? euKey : usKey }
        #expect(throws: PlanSetError.self) { try PlanSetApply.plans(forged, positions: [1], key: keys) }
        #expect(try PlanSetApply.plans(set(), positions: [0, 1], key: keys).count == 2)
        // What --org gives up without the other key: the set's signature is not checked.
        #expect(try PlanSetApply.plans(forged, positions: [1]) { $0 == 1 ? usKey : nil }.count == 1)
    }
}
