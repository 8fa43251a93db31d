/// What a project external_id must be to appear in a manifest: within `ContractLimits.externalID` (counted in
/// Unicode scalars, as Cogram counts), no white space.
///
/// The loader reports a violation at the value; `cogramctl import` leaves out projects whose external_id breaks
/// the rule, since a manifest could not name them (plan would archive them).
public enum ExternalIDRule {
    /// The longest external_id Cogram accepts, in Unicode scalars.
    public static let maxLength = ContractLimits.externalID.upperBound

    public enum Violation: Sendable, Hashable {
        case empty
        /// Longer than `maxLength`; carries the length in Unicode scalars.
        case tooLong(characters: Int)
        case whiteSpace
    }

    /// The first rule `value` breaks, or nil when it is a valid external_id.
    public static func violation(of value: String) -> Violation? {
        if value.isEmpty { return .empty }
        if !ContractLimits.fits(value, ContractLimits.externalID) { return .tooLong(characters: ContractLimits.length(of: value)) }
        let hasSpace = value.utf8.allSatisfy({ $0 < 0x80 })
            ? value.utf8.contains(where: { $0 == 0x20 || (0x09...0x0D).contains($0) })
            : value.contains(where: { $0.isWhitespace || $0.isNewline })
        return hasSpace ? .whiteSpace : nil
    }

    public static func isValid(_ value: String) -> Bool { violation(of: value) == nil }
}
