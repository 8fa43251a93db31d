import CogramManifest
import Foundation

/// Everything `makePlan` needs besides the desired and observed state.
///
/// The safety caps (see `docs/plan-and-apply.md`) map one-to-one to command-line flags:
/// `allowMassArchive` ↔ `--allow-mass-archive`, `maxArchive` ↔ `--max-archive N`,
/// `allowMassMemberRemoval` ↔ `--allow-mass-member-removal`, `maxMemberRemovals` ↔ `--max-member-removals N`,
/// `allowNoOwner` ↔ `--allow-no-owner`.
@dynamicMemberLookup
public struct PlanOptions: Sendable, Hashable {
    public var toolVersion: String
    public var apiURL: String
    /// `sha256:…`; see `ManifestDigest.compute(files:)`.
    public var manifestDigest: String
    /// The plan's `manifest_files` (see `ManifestDigest.fingerprint`); nil leaves it out.
    public var manifestFiles: [String: String]?
    /// The plan's `created_at`; inject a fixed instant for reproducible output.
    public var now: Date
    /// How long a saved plan stays valid.
    public var validity: TimeInterval
    /// `--target`: limit project and member changes to these external ids (nil = everything).
    public var targets: Set<String>?
    /// The cap flags, recorded in the plan as they are. Each is also reachable as a property of the options
    /// (`options.allowMassArchive`, `options.maxArchive`, …): the default caps are `SafetyCap`'s: max(1, 25% of
    /// managed active projects) for archives, max(5, 25% of managed memberships) for member removals.
    public var overrides: SafetyOverrides
    /// `--expiry-warning DAYS`: entries expiring within this many days of the plan's UTC day are listed.
    public var expiryWarningDays: Int = DesiredState.defaultExpiryWindow

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
        overrides = SafetyOverrides(
            allowMassArchive: allowMassArchive, maxArchive: maxArchive, allowMassMemberRemoval: allowMassMemberRemoval,
            maxMemberRemovals: maxMemberRemovals, allowNoOwner: allowNoOwner)
    }

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<SafetyOverrides, Value>) -> Value {
        get { overrides[keyPath: keyPath] }
        set { overrides[keyPath: keyPath] = newValue }
    }
}
