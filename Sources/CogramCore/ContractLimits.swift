/// The lengths the Cogram API contract allows, counted as the contract's JSON Schema counts them: in Unicode
/// scalars. The manifest checks and the sandbox's request validation both ask here, so that a value `validate`
/// accepts is one the server accepts (an accented letter written with a combining mark is two scalars).
public enum ContractLimits {
    /// A project's `name`: 1 to 200.
    public static let projectName = 1...200
    /// An `external_id` (projects and users): 1 to 128.
    public static let externalID = 1...128

    /// The length the contract measures: Unicode scalars.
    public static func length(of text: String) -> Int { text.unicodeScalars.count }

    /// Whether `text`'s length, counted in scalars, is within `range`.
    public static func fits(_ text: String, _ range: ClosedRange<Int>) -> Bool {
        // A scalar is one to four bytes of UTF-8: when every length the byte count allows is in the range, the
        // scalars need no counting (nearly every name and id, made once per project of a large load).
        let bytes = text.utf8.count
        if range.contains(bytes), range.contains((bytes + 3) / 4) { return true }
        return range.contains(length(of: text))
    }
}
