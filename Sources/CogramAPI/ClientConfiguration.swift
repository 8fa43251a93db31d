import Foundation
import Logging
import NIOSSL

/// Everything a `CogramClient` needs: where, who, and how patiently.
///
/// `description` never shows the API key.
public struct ClientConfiguration: Sendable, CustomStringConvertible {
    /// The API root, e.g. `https://api.cogram.com`; request paths (`/v1/...`) are appended to it.
    public let baseURL: URL
    /// Sent as `Authorization: Bearer <key>`.
    public var apiKey: APIKey
    /// Sent as `X-Forwarded-User` when set: the person on whose behalf cogramctl acts.
    public var actor: String?
    /// Sent as `User-Agent`, `cogramctl/<version>`.
    public var userAgent: String
    /// Time allowed to establish a TCP (and TLS) connection.
    public var connectTimeout: Duration
    /// Time allowed between two reads of a response.
    public var readTimeout: Duration
    /// Time allowed for one attempt as a whole, connecting included (`--request-timeout`).
    public var requestTimeout: Duration
    /// No attempt starts after this instant, and none runs past it (`--deadline`); nil: no deadline.
    public var deadline: ContinuousClock.Instant?
    /// The HTTP proxy every request goes through (`--proxy`, `HTTPS_PROXY`, …); nil: direct.
    public var proxy: ProxySettings?
    /// CA certificates trusted in addition to the system's (`--ca-bundle`, `SSL_CERT_FILE`).
    public var additionalTrustRoots: [NIOSSLCertificate]
    /// Where `additionalTrustRoots` came from, for messages.
    public var trustSource: String?
    /// Retries after a 500/502/503/504, a lost connection or a timeout (not counting 429 waits).
    public var maxRetries: Int
    /// At most this many requests on the wire at once, whatever fans out above the client; also the size of the
    /// HTTP/1 connection pool.
    public var maxConcurrentRequests: Int
    /// How many 429 answers one request may wait out before it fails.
    public var maxRateLimitWaits: Int
    /// A `Retry-After` longer than this fails the request at once instead of waiting.
    public var maxRetryAfter: Duration
    /// The server's rate limit for this key; the client stays a little below it (see `RateLimiter`).
    public var requestsPerMinute: Int
    /// First backoff step; the n-th retry waits a random time in `0 ..< min(retryMaxDelay, base · 2ⁿ⁻¹)`.
    public var retryBaseDelay: Duration
    /// Upper bound of one backoff wait.
    public var retryMaxDelay: Duration
    /// `page_size` of list requests (the contract's maximum is 100).
    public var pageSize: Int
    /// Responses larger than this are refused.
    public var maxResponseBytes: Int
    /// Receives one `debug` line per request and response, `trace` lines with the (redacted) headers, and
    /// `info` lines for every retry decision.
    public var logger: Logger

    /// The default API root.
    public static let defaultBaseURL = "https://api.cogram.com"

    /// Retries of one request after a retryable failure, unless configured otherwise (`--max-retries`).
    public static let defaultMaxRetries = 5

    /// Requests on the wire at once, unless configured otherwise (`--parallelism`, default 8 as issue 4 asks).
    public static let defaultMaxConcurrentRequests = 8

    /// Validates `baseURL` (see `ClientConfiguration.validateBaseURL(_:)`).
    public init(
        baseURL: String,
        apiKey: APIKey,
        actor: String? = nil,
        version: String,
        connectTimeout: Duration = .seconds(10),
        readTimeout: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(40),
        maxRetries: Int = ClientConfiguration.defaultMaxRetries,
        requestsPerMinute: Int = 1000,
        logger: Logger = Logger(label: "cogramctl.http", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(ConfigurationError) {
        self.baseURL = try Self.validateBaseURL(baseURL)
        self.apiKey = apiKey
        self.actor = actor
        self.userAgent = "cogramctl/\(version)"
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.requestTimeout = requestTimeout
        self.deadline = nil
        self.proxy = nil
        self.additionalTrustRoots = []
        self.trustSource = nil
        self.maxRetries = maxRetries
        self.maxConcurrentRequests = Self.defaultMaxConcurrentRequests
        self.maxRateLimitWaits = 20
        self.maxRetryAfter = .seconds(120)
        self.requestsPerMinute = requestsPerMinute
        self.retryBaseDelay = .milliseconds(200)
        self.retryMaxDelay = .seconds(10)
        self.pageSize = 100
        self.maxResponseBytes = 16 * 1024 * 1024
        self.logger = logger
    }

    /// A configuration from resolved settings.
    public init(settings: ClientSettings, version: String, logger: Logger? = nil) throws(ConfigurationError) {
        try self.init(baseURL: settings.apiURL.absoluteString, apiKey: settings.apiKey, actor: settings.actor, version: version)
        if let logger { self.logger = logger }
    }

    public var description: String {
        "ClientConfiguration(baseURL: \(baseURL.absoluteString), apiKey: ***, actor: \(actor ?? "none"), "
            + "userAgent: \(userAgent), requestsPerMinute: \(requestsPerMinute), maxRetries: \(maxRetries), "
            + "proxy: \(proxy.map { "\($0)" } ?? "none"))"
    }

    // MARK: - Trust

    /// The PEM certificates of a CA bundle file (`--ca-bundle FILE`, else `SSL_CERT_FILE`).
    public static func loadTrustRoots(path: String, source: String) throws(ConfigurationError) -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .caBundle(source: source, path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw .caBundle(source: source, path: path, reason: "not a PEM file of certificates")
        }
        guard !certificates.isEmpty else { throw .caBundle(source: source, path: path, reason: "it holds no certificate") }
        return certificates
    }

    /// `--ca-bundle`, else `SSL_CERT_FILE`, else nothing; with the source's name.
    public static func resolveTrustRoots(
        option: String?, environment: [String: String]
    ) throws(ConfigurationError) -> (certificates: [NIOSSLCertificate], source: String?) {
        if let option, !option.isEmpty { return (try loadTrustRoots(path: option, source: "--ca-bundle"), "--ca-bundle \(option)") }
        if let file = environment["SSL_CERT_FILE"], !file.isEmpty {
            return (try loadTrustRoots(path: file, source: "SSL_CERT_FILE"), "SSL_CERT_FILE=\(file)")
        }
        return ([], nil)
    }

    // MARK: - URL validation

    /// A base URL whose path ends in `/v1`: the client appends `/v1/...` itself, so `/v1` is removed; the
    /// second value says so, for a warning.
    public static func normalizeBaseURL(_ url: URL) -> (URL, warning: String?) {
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        guard path.lowercased().hasSuffix("/v1"), var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return (url, nil)
        }
        components.path = String(path.dropLast(3))
        guard let normalized = components.url else { return (url, nil) }
        return (normalized, "the API URL \(url.absoluteString) ends in /v1, which cogramctl adds to every request path; "
            + "using \(normalized.absoluteString) (set COGRAM_API_URL / --api-url without /v1 to silence this warning)")
    }

    /// Parses an API root and refuses what would leak the key: `https` is required, plain `http` is allowed only
    /// for loopback hosts (127.0.0.0/8, `::1`, `localhost`), such as the sandbox.
    public static func validateBaseURL(_ string: String) throws(ConfigurationError) -> URL {
        let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = redactedURL(trimmed)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else {
            throw .invalidURL(shown)
        }
        guard url.query == nil, url.fragment == nil, url.user == nil, url.password == nil else {
            throw .invalidURL(shown)
        }
        switch scheme {
        case "https":
            return url
        case "http":
            guard isLoopback(host: host) else { throw .insecureURL(shown) }
            return url
        default:
            throw .invalidURL(shown)
        }
    }

    /// A URL as it may appear in a message: user and password (`user:pw@`) become `***@`, a query or fragment
    /// (which may hold a token) `?***` / `#***`, control characters are escaped. Works on text that does not parse.
    public static func redactedURL(_ text: String) -> String {
        var rest = Substring(text)
        var out = ""
        if let scheme = rest.range(of: "://") {
            out += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            out += "***" + authority[at...]
        } else {
            out += authority
        }
        var tail = rest[authorityEnd...]
        if let cut = tail.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            let mark = tail[cut]
            tail = tail[..<cut]
            out += tail + "\(mark)***"
        } else {
            out += tail
        }
        return SafeText.clean(out, limit: 300)
    }

    /// `localhost`, `::1` or an IPv4 address in 127.0.0.0/8.
    static func isLoopback(host rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && (UInt8(part) != nil)
        }
    }
}

extension Duration {
    /// Seconds as a floating-point number.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
