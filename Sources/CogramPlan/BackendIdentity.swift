import Foundation

/// What a command talks to, as a saved plan records it in `api_url`: Cogram's API at a URL, or an embedded
/// sandbox by its database file (its port changes from run to run, its file does not).
public enum BackendIdentity: Sendable, Hashable {
    case cogram(URL)
    case sandbox(databasePath: String)

    private static let sandboxPrefix = "sandbox:"

    /// The `api_url` of a saved plan: the URL for Cogram, `sandbox:<absolute database path>` for a sandbox.
    public var apiURL: String {
        switch self {
        case .cogram(let url): url.absoluteString
        case .sandbox(let path): Self.sandboxPrefix + path
        }
    }

    public var isSandbox: Bool {
        if case .sandbox = self { return true }
        return false
    }

    /// The identity a saved plan's `api_url` records.
    public init?(apiURL: String) {
        if apiURL.hasPrefix(Self.sandboxPrefix) {
            let path = String(apiURL.dropFirst(Self.sandboxPrefix.count))
            guard path.hasPrefix("/") else { return nil }
            self = .sandbox(databasePath: path)
        } else if let url = URL(string: apiURL), url.scheme != nil {
            self = .cogram(url)
        } else {
            return nil
        }
    }
}
