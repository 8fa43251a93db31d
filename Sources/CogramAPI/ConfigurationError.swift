/// Why cogramctl could not work out where and how to connect. Messages name the setting and the fix.
public enum ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Not an absolute `https://` (or loopback `http://`) URL without query, fragment or credentials.
    case invalidURL(String)
    /// `http://` towards a host that is not loopback: the key would travel in clear text.
    case insecureURL(String)
    /// Neither `--api-key-file` nor `COGRAM_API_KEY`.
    case missingAPIKey
    /// The manifests' `organization.api_key_env` names a variable that is not set.
    case missingAPIKeyVariable(String)
    /// The key file could not be read.
    case apiKeyFileUnreadable(path: String, reason: String)
    /// The key file is readable by group or others.
    case apiKeyFilePermissions(path: String, mode: Int)
    /// The key file holds nothing but whitespace.
    case apiKeyFileEmpty(path: String)
    /// The key file is owned by another user.
    case apiKeyFileOwner(path: String, owner: UInt32, user: UInt32)
    /// A proxy URL that cannot be used.
    case invalidProxy(source: String, url: String, reason: String)
    /// The CA bundle could not be read.
    case caBundle(source: String, path: String, reason: String)
    /// A timeout or deadline out of range.
    case invalidTimeout(option: String, reason: String)
    /// The key (from `source`, `COGRAM_API_KEY` or the file) holds a character that is not printable ASCII; the
    /// message says where and which kind, never the key.
    case apiKeyNotPrintable(source: String, position: Int, character: String)

    public var description: String {
        switch self {
        case .invalidURL(let url):
            return "invalid API URL '\(url)': expected an absolute URL such as https://api.cogram.com "
                + "(without query, fragment or credentials); check COGRAM_API_URL or --api-url"
        case .insecureURL(let url):
            return "refusing plain http:// API URL '\(url)': the API key would be sent unencrypted; use https://, "
                + "or http:// only for a loopback host (localhost, 127.0.0.1, ::1) such as the sandbox"
        case .missingAPIKey:
            return "no Cogram API key: set COGRAM_API_KEY, or pass --api-key-file FILE (a file readable only by you, "
                + "chmod 600); create keys in Cogram under Settings > Administration > Integrations > API Keys"
        case .missingAPIKeyVariable(let variable):
            return "no Cogram API key in \(variable), which the manifests' organization names in api_key_env: set "
                + "\(variable) to that organization's key (COGRAM_API_KEY is not used for it); nothing was sent"
        case .apiKeyFileUnreadable(let path, let reason):
            return "cannot read the API key file '\(path)': \(reason); check the path given to --api-key-file"
        case .apiKeyFilePermissions(let path, let mode):
            let octal = String(mode & 0o7777, radix: 8)
            let padded = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            return "permissions \(padded) for '\(path)' are too open; run chmod 600 \(path)"
        case .apiKeyFileEmpty(let path):
            return "the API key file '\(path)' is empty; write the key into it (one line)"
        case .apiKeyFileOwner(let path, let owner, let user):
            return "the API key file '\(path)' belongs to user id \(owner), not to the user running cogramctl (\(user)); "
                + "another user could have written it: chown it, or copy the key into a file of your own (chmod 600)"
        case .invalidProxy(let source, let url, let reason):
            return "invalid proxy '\(url)' from \(source): \(reason); fix \(source)"
        case .caBundle(let source, let path, let reason):
            return "cannot use the CA bundle '\(path)' from \(source): \(reason); give a PEM file of CA certificates "
                + "(-----BEGIN CERTIFICATE-----)"
        case .invalidTimeout(let option, let reason):
            return "invalid \(option): \(reason)"
        case .apiKeyNotPrintable(let source, let position, let character):
            return "the API key from \(source) contains \(character) at character \(position); a Cogram API key is one line "
                + "of printable ASCII: copy it again from Settings > Administration > Integrations > API Keys (the key "
                + "itself is not shown here)"
        }
    }
}
