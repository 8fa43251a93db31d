/// The default safety caps of a plan: at most max(floor, 25%) of the managed total, per kind.
public enum SafetyCap: Sendable, Hashable, CaseIterable {
    /// Archives, counted against the managed active projects.
    case archive
    /// Member removals, counted against the memberships of the managed projects.
    case memberRemoval

    /// Below this the cap never goes, however few projects or memberships are managed.
    public var floor: Int {
        switch self {
        case .archive: 1
        case .memberRemoval: 5
        }
    }

    /// The default cap for `total` managed items: max(`floor`, 25% of `total`, rounded down).
    public func defaultCap(of total: Int) -> Int { max(floor, total / 4) }

    /// How the default cap reads in help texts: `max(1, 25%)`.
    public var formula: String { "max(\(floor), 25%)" }
}
