import CogramAPI
import Foundation

extension DoctorChecks {
    /// What the command line says about the connection (the options of `ConnectionOptions`).
    public struct ConnectionSettings: Sendable {
        public var apiURL: String?
        public var apiKeyFile: String?
        public var proxy: String?
        public var caBundle: String?
        public var actor: String?
        public var version: String

        public init(apiURL: String?, apiKeyFile: String?, proxy: String?, caBundle: String?, actor: String?, version: String) {
            self.apiURL = apiURL
            self.apiKeyFile = apiKeyFile
            self.proxy = proxy
            self.caBundle = caBundle
            self.actor = actor
            self.version = version
        }
    }

    /// The configuration checks (API URL, key, proxy, trust), each added as a finding; the client configuration
    /// to probe with, with `adjust` applied (logging, timeouts), or nil when none can be made.
    public mutating func configure(
        _ settings: ConnectionSettings, environment: [String: String], adjust: (inout ClientConfiguration) -> Void = { _ in }
    ) -> ClientConfiguration? {
        let url: URL
        do {
            url = try ClientSettings.resolveAPIURL(settings.apiURL, environment: environment)
        } catch {
            add("api url", .fail, "\(error)")
            return nil
        }
        let (normalized, warning) = ClientConfiguration.normalizeBaseURL(url)
        if let warning {
            add("api url", .warn, warning)
        } else {
            let source = settings.apiURL != nil ? "--api-url" : environment["COGRAM_API_URL"].map { _ in "COGRAM_API_URL" } ?? "the default"
            add("api url", .ok, "\(normalized.absoluteString) (from \(source))")
        }
        var key = APIKey("")
        do {
            key = try ClientSettings.resolveAPIKey(apiKeyFile: settings.apiKeyFile, environment: environment)
            if let file = settings.apiKeyFile, !file.isEmpty {
                keySource = "from --api-key-file \(file)"
                add("api key", .ok, "read from \(file) (a regular file of yours, not readable by others)")
            } else {
                keySource = "from COGRAM_API_KEY"
                add("api key", .ok, "from COGRAM_API_KEY")
            }
        } catch {
            add("api key", .fail, "\(error)")
        }
        var configuration: ClientConfiguration
        do {
            configuration = try ClientConfiguration(
                baseURL: normalized.absoluteString, apiKey: key, actor: settings.actor, version: settings.version)
            adjust(&configuration)
        } catch {
            add("api url", .fail, "\(error)")
            return nil
        }
        do {
            configuration.proxy = try ProxySettings.resolve(option: settings.proxy, target: configuration.baseURL, environment: environment)
            if let proxy = configuration.proxy {
                add("proxy", .ok, "\(proxy) (from \(proxy.source))")
            } else if ProxySettings.optionIsIgnored(settings.proxy, target: configuration.baseURL) {
                add("proxy", .warn, "--proxy is ignored: plain http (loopback) always connects directly, so that no proxy sees the key")
            } else if ProxySettings.isPlainHTTP(configuration.baseURL) {
                add("proxy", .ok, "none: plain http (loopback) always connects directly, whatever HTTP_PROXY says")
            } else {
                let exempt = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"].contains { !(environment[$0] ?? "").isEmpty }
                add("proxy", .ok, exempt ? "none for \(configuration.baseURL.host ?? "this host") (NO_PROXY, or a proxy for the other scheme only)" : "none (direct connection)")
            }
        } catch {
            add("proxy", .fail, "\(error)")
            return nil
        }
        do {
            let trust = try ClientConfiguration.resolveTrustRoots(option: settings.caBundle, environment: environment)
            configuration.additionalTrustRoots = trust.certificates
            configuration.trustSource = trust.source
            add("trust", .ok, trust.source.map { "the system's CA certificates and \(trust.certificates.count) from \($0)" }
                ?? "the system's CA certificates")
        } catch {
            add("trust", .fail, "\(error)")
            return nil
        }
        return configuration
    }
}
