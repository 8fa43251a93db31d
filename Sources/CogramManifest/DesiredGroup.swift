/// An entry of `groups`: a named member list that any project can include with `- group: NAME`.
public struct DesiredGroup: Sendable, Hashable {
    public var name: String
    public var members: [DesiredMember]
    public var location: SourceLocation

    /// The longest group name.
    public static let maxNameLength = 64

    /// `[a-z0-9][a-z0-9-]*`, at most `maxNameLength` characters: names that read the same in every file and
    /// in the plan's group notes.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, bytes.count <= maxNameLength, isLowerAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
