/// Why cogramctl could not work out where and how to connect. Messages name the setting and the fix.
public enum ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Not an absolute `https://` (or loopback `http://`) URL without query, fragment or credentials.
    case invalidURL(String)
    /// `http://` towards a host that is not loopback: the key would travel in clear text.
    case insecureURL(String)
    /// Neither `--api-key-file` nor `COGRAM_API_KEY`.
    case missingAPIKey
    /// The key file could not be read.
    case apiKeyFileUnreadable(path: String, reason: String)
    /// The key file is readable by group or others.
    case apiKeyFilePermissions(path: String, mode: Int)
    /// The key file holds nothing but whitespace.
    case apiKeyFileEmpty(path: String)

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
        case .apiKeyFileUnreadable(let path, let reason):
            return "cannot read the API key file '\(path)': \(reason); check the path given to --api-key-file"
        case .apiKeyFilePermissions(let path, let mode):
            let octal = String(mode & 0o7777, radix: 8)
            let padded = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            return "permissions \(padded) for '\(path)' are too open; run chmod 600 \(path)"
        case .apiKeyFileEmpty(let path):
            return "the API key file '\(path)' is empty; write the key into it (one line)"
        }
    }
}
