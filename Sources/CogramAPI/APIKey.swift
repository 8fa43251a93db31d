/// A Cogram API key. The value never appears in `description`, `debugDescription`, mirrors (and so not in
/// `dump`, string interpolation, logs or error messages); code that must send it asks for `unredactedValue`
/// explicitly. Deliberately not `Codable`, so that it cannot end up in a saved plan by accident.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// The secret itself, for the `Authorization` header. Never print or log it.
    public var unredactedValue: String { value }

    public var isEmpty: Bool { value.isEmpty }

    /// Refuses a key that is not printable ASCII without spaces (a line break from a copied file, a control or
    /// non-ASCII character): such a key cannot travel in a header, and the error must not show it. `source` names
    /// where it came from (`COGRAM_API_KEY`, `the file F`).
    public static func validated(_ value: String, source: String) throws(ConfigurationError) -> APIKey {
        for (index, scalar) in value.unicodeScalars.enumerated() where !(0x21...0x7E).contains(scalar.value) {
            let kind: String
            switch scalar.value {
            case 0x0A, 0x0D: kind = "a line break"
            case 0x20: kind = "a space"
            case 0x09: kind = "a tab"
            default: kind = ControlCharacters.contains(scalar) ? "a control character" : "a non-ASCII character"
            }
            throw .apiKeyNotPrintable(source: source, position: index + 1, character: kind)
        }
        return APIKey(value)
    }

    public var description: String { "***" }
    public var debugDescription: String { "APIKey(***)" }
    public var customMirror: Mirror { Mirror(self, children: ["value": "***"], displayStyle: .struct) }
}
