import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where to connect, with which key, on whose behalf: resolved from options and the environment.
///
/// Pure apart from reading the key file, so that the rules below are tested without a process environment:
/// - URL: `--api-url`, else `COGRAM_API_URL`, else `https://api.cogram.com`; validated like
///   `ClientConfiguration.validateBaseURL(_:)`.
/// - Key: `--api-key-file` (a regular file, or a symlink to one, owned by the current user and not readable by
///   group or others, like ssh; trailing newline trimmed), else the manifests' `api_key_env` variable when they
///   name one (unset: `ConfigurationError.missingAPIKeyVariable`), else `COGRAM_API_KEY`, else
///   `ConfigurationError.missingAPIKey`. Either way the key must be printable ASCII without spaces.
/// - Actor (`X-Forwarded-User`): `--actor`, else `COGRAM_ACTOR`, else the CI's own variable:
///   `GITHUB_ACTOR`, `GITLAB_USER_LOGIN`, `BUILDKITE_BUILD_CREATOR_EMAIL`, in that order.
/// Empty values count as unset.
public struct ClientSettings: Sendable, Hashable, CustomStringConvertible {
    public var apiURL: URL
    public var apiKey: APIKey
    public var actor: String?

    public init(apiURL: URL, apiKey: APIKey, actor: String?) {
        self.apiURL = apiURL
        self.apiKey = apiKey
        self.actor = actor
    }

    /// The environment variables consulted for the actor, in order of precedence.
    public static let actorVariables = ["COGRAM_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR_EMAIL"]

    public static func resolve(
        apiURL: String?, apiKeyFile: String?, keyVariable: String? = nil, actor: String?, environment: [String: String]
    ) throws(ConfigurationError) -> ClientSettings {
        let url = try resolveAPIURL(apiURL, environment: environment)
        let key = try resolveAPIKey(apiKeyFile: apiKeyFile, variable: keyVariable, environment: environment)
        return ClientSettings(apiURL: url, apiKey: key, actor: resolveActor(actor, environment: environment))
    }

    public static func resolveAPIURL(_ option: String?, environment: [String: String]) throws(ConfigurationError) -> URL {
        let raw = nonEmpty(option) ?? nonEmpty(environment["COGRAM_API_URL"]) ?? ClientConfiguration.defaultBaseURL
        return try ClientConfiguration.validateBaseURL(raw)
    }

    /// `variable`: the manifests' `organization.api_key_env`; when set, the key comes from it and from nowhere
    /// else (an organization's key is never taken from another organization's variable).
    public static func resolveAPIKey(
        apiKeyFile: String?, variable: String? = nil, environment: [String: String]
    ) throws(ConfigurationError) -> APIKey {
        if let path = nonEmpty(apiKeyFile) {
            return try readKeyFile(path)
        }
        if let variable, variable != "COGRAM_API_KEY" {
            guard let key = nonEmpty(environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw .missingAPIKeyVariable(variable)
            }
            return try APIKey.validated(key, source: variable)
        }
        if let key = nonEmpty(environment["COGRAM_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return try APIKey.validated(key, source: "COGRAM_API_KEY")
        }
        throw .missingAPIKey
    }

    public static func resolveActor(_ option: String?, environment: [String: String]) -> String? {
        if let actor = nonEmpty(option?.trimmingCharacters(in: .whitespaces)) { return actor }
        for name in actorVariables {
            if let actor = nonEmpty(environment[name]?.trimmingCharacters(in: .whitespaces)) { return actor }
        }
        return nil
    }

    /// The largest key file read; a key is a line, anything bigger is not a key file.
    static let maxKeyFileBytes = 64 * 1024

    /// Reads a key file through one descriptor: `open` (following a symlink, as secret mounts use), `fstat` of that
    /// descriptor, then `read` from it, so that the checks apply to the very file read. Refused: anything but a
    /// regular file, a file owned by another user, a file that group or others may access (as ssh refuses a private
    /// key), an empty file, a key that is not printable ASCII.
    static func readKeyFile(_ path: String) throws(ConfigurationError) -> APIKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            let reason: String
            switch errno {
            case ENOENT, ENOTDIR: reason = "no such file"
            case EACCES, EPERM: reason = "permission denied"
            case ELOOP: reason = "too many symbolic links"
            default: reason = String(cString: strerror(errno)).lowercased()
            }
            throw .apiKeyFileUnreadable(path: path, reason: reason)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .apiKeyFileUnreadable(path: path, reason: String(cString: strerror(errno)).lowercased())
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .apiKeyFileUnreadable(path: path, reason: "not a regular file")
        }
        let user = geteuid()
        guard info.st_uid == user else {
            throw .apiKeyFileOwner(path: path, owner: UInt32(info.st_uid), user: UInt32(user))
        }
        let mode = Int(info.st_mode & 0o7777)
        if mode & 0o077 != 0 {
            throw .apiKeyFilePermissions(path: path, mode: mode)
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= maxKeyFileBytes {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .apiKeyFileUnreadable(path: path, reason: String(cString: strerror(errno)).lowercased())
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        guard bytes.count <= maxKeyFileBytes else {
            throw .apiKeyFileUnreadable(path: path, reason: "larger than \(maxKeyFileBytes / 1024) KiB, not a key file")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .apiKeyFileUnreadable(path: path, reason: "not UTF-8 text")
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw .apiKeyFileEmpty(path: path) }
        return try APIKey.validated(key, source: "the file '\(path)'")
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }

    public var description: String {
        "ClientSettings(apiURL: \(apiURL.absoluteString), apiKey: ***, actor: \(actor ?? "none"))"
    }
}
