import CogramAPI
import Foundation

/// The API key `cogramctl sandbox serve` is given: from a key file, the command line or `COGRAM_SANDBOX_API_KEY`.
public enum SandboxServeKey {
    /// Shortest key `serve` accepts: a guessable key on a listening port is no key.
    public static let minimumLength = 16

    /// Why a given key is refused; names where it came from, never the key.
    public struct Refused: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// What to print, before anything else, when the key is given on the command line.
    public static let commandLineWarning =
        "--api-key puts the key on the command line, where other users of this machine can read it (ps, /proc); prefer --api-key-file FILE or COGRAM_SANDBOX_API_KEY."

    /// The key, checked; nil when none is given (one is then generated).
    public static func resolve(apiKeyFile: String?, apiKey: String?, environment: [String: String]) throws(Refused) -> String? {
        let key: String
        let source: String
        if let apiKeyFile {
            do {
                key = try ClientSettings.resolveAPIKey(apiKeyFile: apiKeyFile, environment: [:]).unredactedValue
            } catch {
                throw Refused(description: "\(error)")
            }
            source = "the key in \(apiKeyFile)"
        } else if let apiKey {
            key = apiKey
            source = "--api-key"
        } else if let value = environment["COGRAM_SANDBOX_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines),
            !value.isEmpty
        {
            key = value
            source = "COGRAM_SANDBOX_API_KEY"
        } else {
            return nil
        }
        guard !key.unicodeScalars.contains(where: { !(0x21...0x7E).contains($0.value) }) else {
            throw Refused(description: "\(source) must be printable ASCII without spaces or control characters")
        }
        guard key.count >= minimumLength else {
            throw Refused(description:
                "\(source) is \(key.count) characters long; a sandbox key needs at least \(minimumLength) (omit it to have one generated)")
        }
        return key
    }
}
