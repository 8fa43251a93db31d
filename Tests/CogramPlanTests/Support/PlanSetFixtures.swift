import CogramTestSupport
import Foundation

@testable import CogramPlan

/// Two organizations' plans for the plan-set tests: Acme US and Acme EU, each the rich fixture plan under its own
/// name, anchor and key variable, signed with a key derived from its own API key.
enum TwoOrganizationPlans {
    static let usKey = PlanSigningKey.derived(fromAPIKey: "us-api-key-0123456789")
    static let euKey = PlanSigningKey.derived(fromAPIKey: "eu-api-key-0123456789")

    /// The rich fixture plan of the organization `name` whose key comes from `variable`; its anchor is `usr_` and
    /// the variable's last two letters.
    static func plan(_ name: String, variable: String) -> Plan {
        let (desired, observed) = F.rich()
        var plan = F.plan(desired, observed)
        plan.organization = PlanOrganization(name: name, anchor: "usr_\(variable.suffix(2).lowercased())", apiKeyEnv: variable)
        return plan
    }

    /// A signed set of Acme EU (key variable …_EU, position 0) and Acme US (…_US, position 1), given in the wrong
    /// order on purpose; `outer` signs the set itself (by default the organizations' keys, as `plan` signs it).
    static func signedSet(outer: PlanSigningKey? = nil) throws -> PlanSet {
        let us = try plan("Acme US", variable: "COGRAM_API_KEY_US").signed(with: usKey)
        let eu = try plan("Acme EU", variable: "COGRAM_API_KEY_EU").signed(with: euKey)
        return try PlanSet(plans: [us, eu]).signed(with: outer ?? .forSet([euKey, usKey]))
    }
}
