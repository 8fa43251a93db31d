/// One finding about a manifest: where, what, and (through the renderer) the source line with a caret.
public struct Diagnostic: Sendable, Hashable, Error, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning, note
    }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String

    public init(_ severity: Severity = .error, at location: SourceLocation?, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// `path:line:col: error: message`, or `error: message` without a location.
    public var description: String {
        if let location {
            return "\(location): \(severity.rawValue): \(OutputEscaping.terminal(message))"
        }
        return "\(severity.rawValue): \(OutputEscaping.terminal(message))"
    }
}

/// Diagnostics in the order a reader expects: by file, line, column, then message.
extension Array where Element == Diagnostic {
    public func sortedByLocation() -> [Diagnostic] {
        enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case let (l?, r?) where l != r: return l < r
            case (nil, _?): return true
            case (_?, nil): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }

    public var hasErrors: Bool { contains { $0.severity == .error } }
}
