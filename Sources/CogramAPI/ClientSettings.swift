import Foundation

/// Where to connect, with which key, on whose behalf: resolved from options and the environment.
///
/// Pure apart from reading the key file, so that the rules below are tested without a process environment:
/// - URL: `--api-url`, else `COGRAM_API_URL`, else `https://api.cogram.com`; validated like
///   `ClientConfiguration.validateBaseURL(_:)`.
/// - Key: `--api-key-file` (refused when group or others may read it, like ssh; trailing newline trimmed),
///   else `COGRAM_API_KEY`, else `ConfigurationError.missingAPIKey`.
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
        apiURL: String?, apiKeyFile: String?, actor: String?, environment: [String: String]
    ) throws(ConfigurationError) -> ClientSettings {
        let url = try resolveAPIURL(apiURL, environment: environment)
        let key = try resolveAPIKey(apiKeyFile: apiKeyFile, environment: environment)
        return ClientSettings(apiURL: url, apiKey: key, actor: resolveActor(actor, environment: environment))
    }

    public static func resolveAPIURL(_ option: String?, environment: [String: String]) throws(ConfigurationError) -> URL {
        let raw = nonEmpty(option) ?? nonEmpty(environment["COGRAM_API_URL"]) ?? ClientConfiguration.defaultBaseURL
        return try ClientConfiguration.validateBaseURL(raw)
    }

    public static func resolveAPIKey(apiKeyFile: String?, environment: [String: String]) throws(ConfigurationError) -> APIKey {
        if let path = nonEmpty(apiKeyFile) {
            return try readKeyFile(path)
        }
        if let key = nonEmpty(environment["COGRAM_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return APIKey(key)
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

    /// Reads a key file, refusing one that group or others may read (as ssh does for private keys).
    static func readKeyFile(_ path: String) throws(ConfigurationError) -> APIKey {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .apiKeyFileUnreadable(path: path, reason: FileManager.default.fileExists(atPath: path)
                ? "permission denied" : "no such file")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw .apiKeyFilePermissions(path: path, mode: mode)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .apiKeyFileUnreadable(path: path, reason: "permission denied or not a regular file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .apiKeyFileUnreadable(path: path, reason: "not UTF-8 text")
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw .apiKeyFileEmpty(path: path) }
        return APIKey(key)
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }

    public var description: String {
        "ClientSettings(apiURL: \(apiURL.absoluteString), apiKey: ***, actor: \(actor ?? "none"))"
    }
}
