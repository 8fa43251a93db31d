import CogramCore
import CogramManifest
import Crypto
import Foundation

/// What `plan --out FILE` saves for several organizations (cli.md, "Plan sets"): one signed plan per organization,
/// in name order, and a signature over the ordered list of (organization name, inner signature), so that no plan
/// can be dropped, added, repeated or moved without the set's key.
public struct PlanSet: Sendable, Hashable {
    public static let kind = "cogramctl-plan-set"
    public static let formatVersion = "1"

    public var formatVersion = PlanSet.formatVersion
    public var kind = PlanSet.kind
    /// One signed plan per organization, ordered by organization name.
    public var plans: [Plan]
    /// `hmac-sha256:<hex>` over `setData()`.
    public var signature: String?

    /// The set of `plans` (each signed already with its organization's key), ordered by organization name.
    public init(plans: [Plan]) {
        self.plans = plans.sorted { ($0.organization?.name ?? "") < ($1.organization?.name ?? "") }
    }

    /// The organizations' names, in the set's order.
    public var names: [String] { plans.map { $0.organization?.name ?? "" } }
}

// MARK: - Signature

extension PlanSigningKey {
    /// The key of a set's outer signature: the plans' key when they share one (`COGRAM_PLAN_KEY`), else one derived
    /// from every organization's key, in the set's order, so that only a holder of all of them can sign a set.
    public static func forSet(_ keys: [PlanSigningKey]) -> PlanSigningKey {
        if let first = keys.first, keys.allSatisfy({ $0.source == .planKey && $0.bytes == first.bytes }) { return first }
        return combined(keys)
    }
}

extension PlanSet {
    /// The bytes the outer signature covers: the kind and the ordered (organization, inner signature) pairs.
    func setData() throws -> Data {
        struct Entry: Encodable {
            var organization: String
            var signature: String
        }
        struct Signed: Encodable {
            var kind: String
            var plans: [Entry]
        }
        return try StableJSON.data(Signed(
            kind: Self.kind, plans: plans.map { Entry(organization: $0.organization?.name ?? "", signature: $0.signature ?? "") }))
    }

    /// The set with its outer signature. Every plan must be signed and name its organization, and the names must
    /// differ.
    public func signed(with key: PlanSigningKey) throws -> PlanSet {
        let problems = structuralProblems()
        guard problems.isEmpty else { throw PlanSetError.inconsistent(problems) }
        guard plans.allSatisfy({ $0.signature != nil }) else { throw PlanSetError.unsignedPlan }
        var set = self
        set.signature = Plan.signaturePrefix + HMAC<SHA256>.authenticationCode(for: try setData(), using: key.key)
            .map { String(format: "%02x", $0) }.joined()
        return set
    }

    /// What the set must be, whatever its signature says: at least one plan, each naming its organization, in
    /// strictly increasing name order (so no organization twice).
    func structuralProblems() -> [String] {
        var problems: [String] = []
        if plans.isEmpty { problems.append("it holds no plan") }
        for (index, plan) in plans.enumerated() where plan.organization?.name == nil {
            problems.append("plan \(index + 1) names no organization")
        }
        let names = self.names
        for index in names.indices.dropFirst() where !(names[index - 1] < names[index]) {
            problems.append("plan \(index + 1) is not in organization name order after plan \(index)")
        }
        return problems
    }

    public func jsonData() throws -> Data { try StableJSON.data(self) }
}

// MARK: - Reading

/// A plan set as read from a file, before anything in it is trusted: only `kind` and each plan's `api_key_env`
/// have been read (the keys to verify it with come from those variables). `verified` gives the plans.
public struct UnverifiedPlanSet: Sendable {
    /// Each plan's `organization.api_key_env`, in the file's order (nil when a plan records none); each matches
    /// `COGRAM_API_KEY[_A-Z0-9]*`. Not to be printed before the set verified.
    public let keyVariables: [String?]
    private let data: Data

    /// Reads the header of a set: `kind` (`cogramctl-plan-set`), the major `format_version` and the key variables.
    public init(data: Data) throws(PlanSetError) {
        struct Organization: Decodable { var api_key_env: String? }
        struct Inner: Decodable { var organization: Organization? }
        struct Header: Decodable {
            var kind: String?
            var format_version: String?
            var plans: [Inner]?
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw .malformed("it is not a JSON object with a list of plans (\(DecodingError.describe(error)))")
        }
        guard header.kind == PlanSet.kind else { throw .wrongKind }
        guard let version = header.format_version else { throw .malformed("\"format_version\" is missing") }
        guard version.split(separator: ".", maxSplits: 1).first.map(String.init) == PlanSet.formatVersion else {
            throw .unsupportedFormatVersion
        }
        guard let plans = header.plans, !plans.isEmpty else { throw .malformed("\"plans\" is missing or empty") }
        for (index, plan) in plans.enumerated() {
            if let variable = plan.organization?.api_key_env, !OrganizationSection.isValidKeyVariable(variable) {
                throw .badKeyVariable(plan: index + 1)
            }
        }
        keyVariables = plans.map { $0.organization?.api_key_env }
        self.data = data
    }

    /// The set without any signature checked, for `show` when the keys are not at hand: it must still not
    /// contradict itself (each plan's own structure included), so that what is shown is what apply would check.
    public func unchecked() throws -> PlanSet {
        let set: PlanSet
        do {
            set = try JSONDecoder().decode(PlanSet.self, from: data)
        } catch {
            throw PlanSetError.malformed(DecodingError.describe(error))
        }
        var problems = set.structuralProblems()
        for (index, plan) in set.plans.enumerated() {
            problems += plan.structuralProblems().map { "plan \(index + 1): \($0)" }
        }
        guard problems.isEmpty else { throw PlanSetError.inconsistent(problems) }
        return set
    }

    /// The set, once every plan's signature verified with the key `key` gives for it (by position and
    /// `api_key_env`) and the outer signature with `PlanSigningKey.forSet` of those keys. Nothing of an
    /// unverified plan is in an error's text but its position.
    public func verified(
        key: (_ position: Int, _ keyVariable: String?) throws -> PlanSigningKey
    ) throws -> PlanSet {
        let set: PlanSet
        do {
            set = try JSONDecoder().decode(PlanSet.self, from: data)
        } catch {
            throw PlanSetError.malformed(DecodingError.describe(error))
        }
        guard set.plans.count == keyVariables.count else { throw PlanSetError.malformed("the list of plans changed while it was read") }
        var keys: [PlanSigningKey] = []
        for (index, plan) in set.plans.enumerated() {
            let planKey = try key(index, keyVariables[index])
            do {
                try plan.verifySignature(with: planKey)
            } catch {
                throw PlanSetError.plan(position: index + 1, error)
            }
            keys.append(planKey)
        }
        let setKey = PlanSigningKey.forSet(keys)
        guard let signature = set.signature, signature.hasPrefix(Plan.signaturePrefix) else { throw PlanSetError.unsigned }
        guard let mac = Data(hexString: signature.dropFirst(Plan.signaturePrefix.count)), mac.count == SHA256.byteCount,
              let signed = try? set.setData(),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: setKey.key)
        else { throw PlanSetError.badSignature(setKey.source.rawValue) }
        let problems = set.structuralProblems()
        guard problems.isEmpty else { throw PlanSetError.inconsistent(problems) }
        return set
    }
}

extension PlanSet: Codable {
    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case kind, plans, signature
    }
}

/// Why a plan set cannot be applied (exit 3, nothing applied). Nothing of the file is quoted: before the set
/// verified, its text is untrusted.
public enum PlanSetError: Error, Sendable, Hashable, CustomStringConvertible {
    case wrongKind
    case unsupportedFormatVersion
    case malformed(String)
    /// A plan's `organization.api_key_env` is not a variable a manifest could name (position from 1).
    case badKeyVariable(plan: Int)
    case unsigned
    /// A plan of the set is not signed (when making a set).
    case unsignedPlan
    case badSignature(String)
    /// A plan of the set (position from 1) did not verify.
    case plan(position: Int, PlanValidationError)
    case inconsistent([String])

    public var description: String {
        let again = "run `cogramctl plan --out FILE` again"
        switch self {
        case .wrongKind:
            return "this file is not a cogramctl plan set (\"kind\" is not \"\(PlanSet.kind)\"); \(again)"
        case .unsupportedFormatVersion:
            return "this plan set has a format_version this cogramctl does not read (it reads \"\(PlanSet.formatVersion)\"); \(again) with this version"
        case .malformed(let detail):
            return "the plan set is damaged: \(ControlCharacters.escaping(detail, .terminal)); \(again)"
        case .badKeyVariable(let plan):
            return "plan \(plan) of the set names a key variable that is not COGRAM_API_KEY or COGRAM_API_KEY_ followed by A-Z, 0-9 or '_', so the file was edited; \(again)"
        case .unsigned:
            return "the plan set carries no signature of its own, so it cannot be trusted; \(again)"
        case .unsignedPlan:
            return "every plan of a set must be signed before the set is"
        case .badSignature(let source):
            return "the plan set's signature does not match: plans were removed, added or moved after it was made, or it was signed with other keys (this run checks it with a key derived from \(source)); \(again)"
        case .plan(let position, let error):
            return "plan \(position) of the set: \(error)"
        case .inconsistent(let problems):
            return "the plan set contradicts itself, so it was edited or damaged: \(problems.joined(separator: "; ")); \(again)"
        }
    }
}
