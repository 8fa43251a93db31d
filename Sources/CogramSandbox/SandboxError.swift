import Foundation

/// Errors of the sandbox outside HTTP: seeding, opening the database, managing keys.
public enum SandboxError: Error, CustomStringConvertible, Sendable, Equatable {
    case seedUnreadable(path: String, reason: String)
    case seedInvalid(path: String, reason: String)
    case organizationNotFound(String)
    case organizationAmbiguous(count: Int)
    case apiKeyBelongsToAnotherOrganization
    case apiKeyRevoked
    case invalidArgument(String)
    case startFailed(String)
    case embeddedStartFailed(databasePath: String, reason: String)

    public var description: String {
        switch self {
        case .seedUnreadable(let path, let reason):
            return "cannot read seed file \(path): \(reason)"
        case .seedInvalid(let path, let reason):
            return "invalid seed file \(path): \(reason); see docs/sandbox.md for the format"
        case .organizationNotFound(let name):
            return "no organization named '\(name)' in the sandbox database; seed it first with --seed FILE"
        case .organizationAmbiguous(let count):
            return count == 0
                ? "the sandbox database has no organization; pass a seed file (--seed FILE)"
                : "the sandbox database holds \(count) organizations; name one (--org NAME or a seed file)"
        case .apiKeyBelongsToAnotherOrganization:
            return "that API key already belongs to another organization in this database; choose another value"
        case .apiKeyRevoked:
            return "that API key was revoked in this database and stays revoked; choose another value"
        case .invalidArgument(let message):
            return message
        case .startFailed(let message):
            return "the sandbox could not start: \(message)"
        case .embeddedStartFailed(let path, let reason):
            return "cannot start the embedded sandbox with \(path): \(reason)"
        }
    }
}
