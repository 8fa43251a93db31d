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

    public var description: String { "***" }
    public var debugDescription: String { "APIKey(***)" }
    public var customMirror: Mirror { Mirror(self, children: ["value": "***"], displayStyle: .struct) }
}
