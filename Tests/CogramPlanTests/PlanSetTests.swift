import CogramAPI
import CogramManifest
import CogramTestSupport
import Foundation
import Testing

@testable import CogramPlan

/// The plan set (cli.md, "Plan sets"): one signed plan per organization in name order, and a signature over the
/// ordered (organization, inner signature) pairs.
@Suite struct PlanSetTests {
    private let usKey = TwoOrganizationPlans.usKey
    private let euKey = TwoOrganizationPlans.euKey

    /// The key of each plan, by its key variable, as apply finds it.
    private func keys(_ position: Int, _ variable: String?) throws -> PlanSigningKey {
        switch variable {
        case "COGRAM_API_KEY_EU": euKey
        case "COGRAM_API_KEY_US": usKey
        default: throw PlanSetError.malformed("no key for \(variable ?? "nil")")
        }
    }

    private func edited(_ set: PlanSet, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        var json = try #require(try JSONSerialization.jsonObject(with: set.jsonData()) as? [String: Any])
        edit(&json)
        return try JSONSerialization.data(withJSONObject: json)
    }

    /// The set's JSON with `fields` set in the `organization` of the plan at each position (from 0).
    private func editedOrganizations(_ set: PlanSet, _ fields: [Int: [String: Any]]) throws -> Data {
        try edited(set) { json in
            var plans = json["plans"] as! [[String: Any]]
            for (position, fields) in fields {
                var organization = plans[position]["organization"] as! [String: Any]
                organization.merge(fields) { $1 }
                plans[position]["organization"] = organization
            }
            json["plans"] = plans
        }
    }

    private func verify(_ data: Data) throws -> PlanSet {
        try UnverifiedPlanSet(data: data).verified(key: keys)
    }

    @Test func aSignedSetRoundTripsInNameOrder() throws {
        let set = try TwoOrganizationPlans.signedSet()
        #expect(set.names == ["Acme EU", "Acme US"])
        let data = try set.jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["kind"] as? String == "cogramctl-plan-set")
        #expect(object["format_version"] as? String == "1")
        #expect((object["signature"] as? String)?.hasPrefix("hmac-sha256:") == true)
        let unverified = try UnverifiedPlanSet(data: data)
        #expect(unverified.keyVariables == ["COGRAM_API_KEY_EU", "COGRAM_API_KEY_US"])
        let loaded = try unverified.verified(key: keys)
        #expect(loaded.signature == set.signature)
        #expect(loaded.plans.map(\.organization?.apiKeyEnv) == ["COGRAM_API_KEY_EU", "COGRAM_API_KEY_US"])
        // The same document again gives the same bytes.
        #expect(try loaded.jsonData() == data)
    }

    @Test func withAPlanKeyTheSetIsSignedWithIt() throws {
        let shared = PlanSigningKey.fromSecret("a shared plan key")
        let set = try PlanSet(plans: [
            try TwoOrganizationPlans.plan("Acme US", variable: "COGRAM_API_KEY_US").signed(with: shared),
            try TwoOrganizationPlans.plan("Acme EU", variable: "COGRAM_API_KEY_EU").signed(with: shared),
        ]).signed(with: .forSet([shared, shared]))
        #expect(PlanSigningKey.forSet([shared, shared]).source == .planKey)
        let loaded = try UnverifiedPlanSet(data: set.jsonData()).verified { _, _ in .fromSecret("a shared plan key") }
        #expect(loaded.names == ["Acme EU", "Acme US"])
        #expect(throws: PlanSetError.self) {
            _ = try UnverifiedPlanSet(data: set.jsonData()).verified { _, _ in .fromSecret("another key") }
        }
    }

    @Test func aTamperedInnerPlanIsRefusedByPosition() throws {
        let data = try edited(try TwoOrganizationPlans.signedSet()) { json in
            var plans = json["plans"] as! [[String: Any]]
            plans[1]["expires_at"] = "2999-01-01T00:00:00Z"
            json["plans"] = plans
        }
        #expect(throws: PlanSetError.plan(position: 2, .badSignature("the API key"))) { try verify(data) }
        #expect(PlanSetError.plan(position: 2, .badSignature("the API key")).description.hasPrefix("plan 2 of the set: the plan's signature does not match"))
    }

    @Test func reorderedOrDroppedPlansBreakTheSetsSignature() throws {
        let set = try TwoOrganizationPlans.signedSet()
        let reordered = try edited(set) { json in json["plans"] = (json["plans"] as! [Any]).reversed() as [Any] }
        // The inner plans still verify (each with the key its variable names); the set does not.
        #expect(throws: PlanSetError.badSignature("the keys of all its organizations")) { try verify(reordered) }
        let dropped = try edited(set) { json in json["plans"] = Array((json["plans"] as! [Any]).prefix(1)) }
        #expect(throws: PlanSetError.badSignature("the keys of all its organizations")) { try verify(dropped) }
        let unsigned = try edited(set) { json in json["signature"] = nil }
        #expect(throws: PlanSetError.unsigned) { try verify(unsigned) }
        // A set signed in the wrong order by someone holding every key is still refused.
        var outOfOrder = set
        outOfOrder.plans.reverse()
        #expect(throws: PlanSetError.self) { try outOfOrder.signed(with: .forSet([usKey, euKey])) }
    }

    @Test func swappedNamesOrKeyVariablesBreakTheInnerSignatures() throws {
        let set = try TwoOrganizationPlans.signedSet()
        let swappedNames = try editedOrganizations(set, [0: ["name": "Acme US"], 1: ["name": "Acme EU"]])
        #expect(throws: PlanSetError.plan(position: 1, .badSignature("the API key"))) { try verify(swappedNames) }
        // Plan 1 (Acme EU) made to name the US key variable: checked with the US key, its signature fails.
        let swappedVariables = try editedOrganizations(set, [0: ["api_key_env": "COGRAM_API_KEY_US"]])
        #expect(try UnverifiedPlanSet(data: swappedVariables).keyVariables == ["COGRAM_API_KEY_US", "COGRAM_API_KEY_US"])
        #expect(throws: PlanSetError.plan(position: 1, .badSignature("the API key"))) { try verify(swappedVariables) }
    }

    @Test func onlyKindAndKeyVariablesAreReadBeforeVerification() throws {
        let set = try TwoOrganizationPlans.signedSet()
        let badVariable = try editedOrganizations(set, [1: ["api_key_env": "AWS_SECRET_ACCESS_KEY\u{1B}[2J"]])
        #expect(throws: PlanSetError.badKeyVariable(plan: 2)) { try UnverifiedPlanSet(data: badVariable) }
        // Neither the variable nor the kind found is printed.
        #expect(!PlanSetError.badKeyVariable(plan: 2).description.contains("AWS"))
        let plainPlan = try TwoOrganizationPlans.plan("Acme US", variable: "COGRAM_API_KEY_US").signed(with: usKey).jsonData()
        #expect(throws: PlanSetError.wrongKind) { try UnverifiedPlanSet(data: plainPlan) }
        let otherKind = try edited(set) { json in json["kind"] = "evil\u{1B}[2J" }
        #expect(throws: PlanSetError.wrongKind) { try UnverifiedPlanSet(data: otherKind) }
        #expect(!PlanSetError.wrongKind.description.contains("evil"))
        let future = try edited(set) { json in json["format_version"] = "2" }
        #expect(throws: PlanSetError.unsupportedFormatVersion) { try UnverifiedPlanSet(data: future) }
        // A plain plan file is no plan set, and a plan set no plain plan.
        #expect(throws: PlanValidationError.wrongKind(found: "cogramctl-plan-set")) { try Plan.load(from: set.jsonData()) }
    }

    @Test func aPlanWithoutAnOrganizationCannotBeInASet() throws {
        let (desired, observed) = F.rich()
        let unnamed = try F.plan(desired, observed).signed(with: usKey)
        #expect(throws: PlanSetError.inconsistent(["plan 1 names no organization"])) {
            try PlanSet(plans: [unnamed]).signed(with: .forSet([usKey]))
        }
    }
}
