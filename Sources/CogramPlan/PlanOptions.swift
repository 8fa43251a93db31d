import Foundation

/// Everything `makePlan` needs besides the desired and observed state.
///
/// The safety caps (see `docs/plan-and-apply.md`) map one-to-one to command-line flags:
/// `allowMassArchive` ↔ `--allow-mass-archive`, `maxArchive` ↔ `--max-archive N`,
/// `allowMassMemberRemoval` ↔ `--allow-mass-member-removal`, `maxMemberRemovals` ↔ `--max-member-removals N`,
/// `allowNoOwner` ↔ `--allow-no-owner`.
public struct PlanOptions: Sendable, Hashable {
    public var toolVersion: String
    public var apiURL: String
    /// `sha256:…`; see `ManifestDigest.compute(files:)`.
    public var manifestDigest: String
    /// The plan's `created_at`; inject a fixed instant for reproducible output.
    public var now: Date
    /// How long a saved plan stays valid.
    public var validity: TimeInterval
    /// `--target`: limit project and member changes to these external ids (nil = everything).
    public var targets: Set<String>?

    /// Lift the archive cap entirely.
    public var allowMassArchive: Bool
    /// Raise the archive cap to this many projects (the default cap is max(1, 25% of managed active projects)).
    public var maxArchive: Int?
    /// Lift the member-removal cap entirely.
    public var allowMassMemberRemoval: Bool
    /// Raise the member-removal cap to this many removals (default max(5, 25% of managed memberships)).
    public var maxMemberRemovals: Int?
    /// Allow a plan to leave a project with members but no owner.
    public var allowNoOwner: Bool

    public init(
        toolVersion: String = cogramctlVersion, apiURL: String = "https://api.cogram.com", manifestDigest: String = "",
        now: Date = Date(), validity: TimeInterval = 24 * 3600, targets: Set<String>? = nil,
        allowMassArchive: Bool = false, maxArchive: Int? = nil,
        allowMassMemberRemoval: Bool = false, maxMemberRemovals: Int? = nil, allowNoOwner: Bool = false
    ) {
        self.toolVersion = toolVersion
        self.apiURL = apiURL
        self.manifestDigest = manifestDigest
        self.now = now
        self.validity = validity
        self.targets = targets
        self.allowMassArchive = allowMassArchive
        self.maxArchive = maxArchive
        self.allowMassMemberRemoval = allowMassMemberRemoval
        self.maxMemberRemovals = maxMemberRemovals
        self.allowNoOwner = allowNoOwner
    }

    /// The cap flags as recorded in a plan.
    public var overrides: SafetyOverrides {
        get {
            SafetyOverrides(
                allowMassArchive: allowMassArchive, maxArchive: maxArchive, allowMassMemberRemoval: allowMassMemberRemoval,
                maxMemberRemovals: maxMemberRemovals, allowNoOwner: allowNoOwner)
        }
        set {
            allowMassArchive = newValue.allowMassArchive
            maxArchive = newValue.maxArchive
            allowMassMemberRemoval = newValue.allowMassMemberRemoval
            maxMemberRemovals = newValue.maxMemberRemovals
            allowNoOwner = newValue.allowNoOwner
        }
    }
}
