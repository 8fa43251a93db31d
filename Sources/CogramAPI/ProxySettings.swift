import Foundation

/// An HTTP proxy, from `--proxy` or the environment. `description` never shows the password.
public struct ProxySettings: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Basic credentials from the proxy URL (`http://user:password@proxy:3128`), percent-decoded.
    public var username: String? = nil
    public var password: String? = nil
    /// Where it came from: `--proxy`, `HTTPS_PROXY`, `https_proxy`, …
    public var source: String

    /// `http://host:port`, with `***@` when credentials are set.
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "http://\(username == nil ? "" : "***@")\(hostText):\(port)"
    }

    /// Parses a proxy URL as curl does: `http://[user:password@]host[:port]`, the scheme optional (http assumed),
    /// port 1080 when absent. Other schemes are refused (AsyncHTTPClient speaks to HTTP proxies, tunnelling
    /// https with CONNECT).
    public static func parse(_ text: String, source: String) throws(ConfigurationError) -> ProxySettings {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let withScheme = trimmed.contains("://") ? trimmed : "http://" + trimmed
        guard let components = URLComponents(string: withScheme), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw .invalidProxy(source: source, url: ClientConfiguration.redactedURL(trimmed), reason: "not a URL such as http://proxy.example:3128")
        }
        guard scheme == "http" else {
            throw .invalidProxy(
                source: source, url: ClientConfiguration.redactedURL(trimmed),
                reason: "only http:// proxies are supported (https is tunnelled through them with CONNECT)")
        }
        let port = components.port ?? 1080
        guard (1...65535).contains(port) else {
            throw .invalidProxy(source: source, url: ClientConfiguration.redactedURL(trimmed), reason: "the port is out of range")
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return ProxySettings(
            host: bareHost, port: port,
            username: components.percentEncodedUser.map { $0.removingPercentEncoding ?? $0 },
            password: components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 },
            source: source)
    }

    /// The proxy for requests to `target`: none for a plain-http target (see `isPlainHTTP`); else `--proxy` when
    /// given, for every host (an explicit option is the user's last word); otherwise `https_proxy`/`HTTPS_PROXY`
    /// (lower case first, as curl reads them), unless `no_proxy`/`NO_PROXY` matches the host.
    public static func resolve(
        option: String?, target: URL, environment: [String: String]
    ) throws(ConfigurationError) -> ProxySettings? {
        if isPlainHTTP(target) { return nil }
        if let option, !option.isEmpty {
            return try parse(option, source: "--proxy")
        }
        let scheme = target.scheme?.lowercased() ?? "https"
        let names = scheme == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"]
        guard let name = names.first(where: { !(environment[$0] ?? "").isEmpty }), let value = environment[name] else {
            return nil
        }
        let noProxy = environment["no_proxy"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["NO_PROXY"] ?? ""
        if let host = target.host, matchesNoProxy(host: host, noProxy) { return nil }
        return try parse(value, source: name)
    }

    /// Plain http is allowed for loopback only, and a proxy on the way would read the `Authorization` header in
    /// clear: such a target always connects directly, whatever `HTTP_PROXY` or `--proxy` say.
    public static func isPlainHTTP(_ target: URL) -> Bool {
        target.scheme?.lowercased() == "http"
    }

    /// Whether `--proxy` was given for a target that never goes through a proxy (the caller warns).
    public static func optionIsIgnored(_ option: String?, target: URL) -> Bool {
        !(option ?? "").isEmpty && isPlainHTTP(target)
    }

    /// The warning for `optionIsIgnored`.
    public static let ignoredOptionWarning =
        "warning: --proxy is ignored: the API URL is plain http (loopback only), which always connects directly so that no proxy sees the key\n"

    /// curl's reading of `NO_PROXY`: comma-separated entries; `*` alone matches every host; otherwise an entry
    /// matches the host itself and, as a domain suffix, its subdomains (a leading dot is ignored); IP addresses
    /// match exactly. Case-insensitive; ports and surrounding spaces are ignored.
    public static func matchesNoProxy(host rawHost: String, _ noProxy: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        for raw in noProxy.split(separator: ",") {
            var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry == "*" { return true }
            if entry.hasPrefix("[") , let end = entry.firstIndex(of: "]") {
                entry = String(entry[entry.index(after: entry.startIndex)..<end])
            } else if entry.filter({ $0 == ":" }).count == 1, let colon = entry.firstIndex(of: ":") {
                entry = String(entry[..<colon])
            }
            while entry.hasPrefix(".") { entry.removeFirst() }
            if entry.hasSuffix(".") { entry.removeLast() }
            guard !entry.isEmpty else { continue }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }
}
