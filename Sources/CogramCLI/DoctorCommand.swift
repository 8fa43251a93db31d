import ArgumentParser
import CogramAPI
import Foundation

/// `cogramctl doctor`: a read-only check of everything a first run depends on.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configuration, the network path and the API cogramctl would talk to (reads only).",
        discussion: """
            Checks the API URL and key, the proxy and trust settings, the connection (DNS, TCP, TLS), \
            authentication, the shape of each list endpoint's answer, whether the external_id= and email= filters \
            are honoured, the rate-limit headers, and the live OpenAPI document against the one cogramctl ships. \
            Each check prints ok, warn, fail or skip with one line of reason. Exit status: 0 when nothing failed \
            (warnings allowed), 1 when something failed, 64 on usage errors. Never writes.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
        case human, json
    }

    @Option(help: ArgumentHelp("Output format.", valueName: "human|json"))
    var format: Format = .human

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var checks = DoctorChecks(configuration: try placeholderConfiguration())
        guard let configuration = configure(&checks, environment: environment) else {
            try finish(checks, url: connection.apiURL ?? environment["COGRAM_API_URL"] ?? ClientConfiguration.defaultBaseURL)
            return
        }
        checks.configuration = configuration
        // One attempt per probe: doctor reports what happens, it does not wait it out.
        var probing = configuration
        probing.maxRetries = 0
        try await CogramClient.withClient(probing) { client in
            await checks.run(client: client)
        }
        try finish(checks, url: configuration.baseURL.absoluteString)
    }

    /// The configuration checks; nil when no client can be made.
    private func configure(_ checks: inout DoctorChecks, environment: [String: String]) -> ClientConfiguration? {
        let url: URL
        do {
            url = try ClientSettings.resolveAPIURL(connection.apiURL, environment: environment)
        } catch {
            checks.add("api url", .fail, "\(error)")
            return nil
        }
        let (normalized, warning) = ClientConfiguration.normalizeBaseURL(url)
        if let warning {
            checks.add("api url", .warn, warning)
        } else {
            let source = connection.apiURL != nil ? "--api-url" : environment["COGRAM_API_URL"].map { _ in "COGRAM_API_URL" } ?? "the default"
            checks.add("api url", .ok, "\(normalized.absoluteString) (from \(source))")
        }
        var key = APIKey("")
        do {
            key = try ClientSettings.resolveAPIKey(apiKeyFile: connection.apiKeyFile, environment: environment)
            if let file = connection.apiKeyFile, !file.isEmpty {
                checks.keySource = "from --api-key-file \(file)"
                checks.add("api key", .ok, "read from \(file) (a regular file of yours, not readable by others)")
            } else {
                checks.keySource = "from COGRAM_API_KEY"
                checks.add("api key", .ok, "from COGRAM_API_KEY")
            }
        } catch {
            checks.add("api key", .fail, "\(error)")
        }
        var configuration: ClientConfiguration
        do {
            configuration = try ClientConfiguration(
                baseURL: normalized.absoluteString, apiKey: key, actor: connection.resolveActor(environment: environment),
                version: Cogramctl.version, logger: connection.httpLogger())
            connection.applyTimeouts(to: &configuration)
        } catch {
            checks.add("api url", .fail, "\(error)")
            return nil
        }
        do {
            configuration.proxy = try ProxySettings.resolve(option: connection.proxy, target: configuration.baseURL, environment: environment)
            if let proxy = configuration.proxy {
                checks.add("proxy", .ok, "\(proxy) (from \(proxy.source))")
            } else if ProxySettings.optionIsIgnored(connection.proxy, target: configuration.baseURL) {
                checks.add("proxy", .warn, "--proxy is ignored: plain http (loopback) always connects directly, so that no proxy sees the key")
            } else if ProxySettings.isPlainHTTP(configuration.baseURL) {
                checks.add("proxy", .ok, "none: plain http (loopback) always connects directly, whatever HTTP_PROXY says")
            } else {
                let exempt = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"].contains { !(environment[$0] ?? "").isEmpty }
                checks.add("proxy", .ok, exempt ? "none for \(configuration.baseURL.host ?? "this host") (NO_PROXY, or a proxy for the other scheme only)" : "none (direct connection)")
            }
        } catch {
            checks.add("proxy", .fail, "\(error)")
            return nil
        }
        do {
            let trust = try ClientConfiguration.resolveTrustRoots(option: connection.caBundle, environment: environment)
            configuration.additionalTrustRoots = trust.certificates
            configuration.trustSource = trust.source
            checks.add("trust", .ok, trust.source.map { "the system's CA certificates and \(trust.certificates.count) from \($0)" }
                ?? "the system's CA certificates")
        } catch {
            checks.add("trust", .fail, "\(error)")
            return nil
        }
        return configuration
    }

    private func placeholderConfiguration() throws -> ClientConfiguration {
        try ClientConfiguration(baseURL: ClientConfiguration.defaultBaseURL, apiKey: APIKey(""), version: Cogramctl.version)
    }

    private func finish(_ checks: DoctorChecks, url: String) throws {
        let failed = checks.checks.filter { $0.status == .fail }.count
        let warned = checks.checks.filter { $0.status == .warn }.count
        switch format {
        case .json:
            struct Document: Encodable {
                var apiURL: String
                var checks: [DoctorCheck]
                var failed: Int
                var warnings: Int
                enum CodingKeys: String, CodingKey {
                    case checks, failed, warnings
                    case apiURL = "api_url"
                }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Document(apiURL: ClientConfiguration.redactedURL(url), checks: checks.checks, failed: failed, warnings: warned))
            Terminal.writeOutput(String(decoding: data, as: UTF8.self) + "\n")
        case .human:
            var text = "cogramctl doctor: \(ClientConfiguration.redactedURL(url))\n"
            let width = (checks.checks.map(\.name.count).max() ?? 0) + 2
            for check in checks.checks {
                let label = check.status.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
                text += "\(label)\(check.name.padding(toLength: width, withPad: " ", startingAt: 0))\(check.detail)\n"
                for line in check.lines { text += String(repeating: " ", count: 6 + width) + "- \(line)\n" }
            }
            text += "\(failed) failed, \(warned) warning\(warned == 1 ? "" : "s").\n"
            Terminal.writeOutput(text)
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
