import ArgumentParser
import CogramAPI
import CogramPlan
import Foundation
import Logging
import Synchronization

/// Where and as whom to talk to Cogram, and through which network; shared by `plan`, `apply`, `import` and
/// `doctor` through `@OptionGroup`.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("api-url"), help: ArgumentHelp("Cogram API root (default: $COGRAM_API_URL, else https://api.cogram.com). Plain http:// only for loopback hosts.", valueName: "url"))
    var apiURL: String?

    @Option(name: .customLong("api-key-file"), help: ArgumentHelp("Read the API key from this file (must not be readable by group or others: chmod 600). Default: $COGRAM_API_KEY.", valueName: "file"))
    var apiKeyFile: String?

    @Option(name: .customLong("actor"), help: ArgumentHelp("Person to attribute changes to in Cogram's audit log (X-Forwarded-User). Default: $COGRAM_ACTOR, else the CI's user ($GITHUB_ACTOR, $GITLAB_USER_LOGIN, $BUILDKITE_BUILD_CREATOR_EMAIL).", valueName: "id-or-email"))
    var actor: String?

    @Option(name: .customLong("max-retries"), help: ArgumentHelp("Retries of one request after a 5xx, a timeout or a dropped connection, with jittered exponential backoff (0-20; 429 waits are counted apart).", valueName: "n"))
    var maxRetries = ClientConfiguration.defaultMaxRetries

    @Option(name: .customLong("retry-delay"), help: ArgumentHelp("Backoff before the first retry (e.g. 200ms, 1s; 1ms to 10s). Each further retry doubles it, up to 10 s, and waits a random part of it (full jitter). A Retry-After from the server is honoured instead.", valueName: "duration"))
    var retryDelay = "200ms"

    @Option(name: .customLong("proxy"), help: ArgumentHelp("HTTP proxy for every request, http://[user:password@]host:port (https goes through it with CONNECT). Default: $HTTPS_PROXY / $https_proxy (for https) or $HTTP_PROXY / $http_proxy (for http), except hosts in $NO_PROXY. Never used by --sandbox.", valueName: "url"))
    var proxy: String?

    @Option(name: .customLong("ca-bundle"), help: ArgumentHelp("PEM file of CA certificates to trust in addition to the system's (a company CA that inspects TLS). Default: $SSL_CERT_FILE.", valueName: "file"))
    var caBundle: String?

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp("Seconds allowed to connect (TCP and TLS).", valueName: "seconds"))
    var connectTimeout: Double = 10

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds allowed for one attempt of one request.", valueName: "seconds"))
    var requestTimeout: Double = 40

    @Option(name: .customLong("deadline"), help: ArgumentHelp("Time allowed for the whole command (e.g. 90s, 15m, 1h); once it passes no request is started and apply starts no further change. Default: none.", valueName: "duration"))
    var deadline: String?

    @Flag(name: .customLong("verbose"), help: "Log every HTTP request, response and retry to stderr (the API key is redacted).")
    var verbose = false

    init() {}

    /// When the command started, for `--deadline`: fixed when the options are validated, at parse time.
    private static let startedAt = Mutex<ContinuousClock.Instant?>(nil)

    static func commandStart() -> ContinuousClock.Instant {
        startedAt.withLock { startedAt in
            if let startedAt { return startedAt }
            let now = ContinuousClock.now
            startedAt = now
            return now
        }
    }

    func validate() throws {
        _ = Self.commandStart()
        guard (0...20).contains(maxRetries) else { throw ValidationError("--max-retries must be between 0 and 20") }
        guard let delay = parseDuration(retryDelay), (0.001...10).contains(delay) else {
            throw ValidationError("--retry-delay must be a duration from 1ms to 10s such as 200ms or 1s, not '\(SafeText.clean(retryDelay, limit: 40))'")
        }
        guard connectTimeout.isFinite, (0.1...600).contains(connectTimeout) else {
            throw ValidationError("--connect-timeout must be between 0.1 and 600 seconds")
        }
        guard requestTimeout.isFinite, (0.1...3600).contains(requestTimeout) else {
            throw ValidationError("--request-timeout must be between 0.1 and 3600 seconds")
        }
        if let deadline {
            guard let seconds = parseDuration(deadline), seconds.isFinite, seconds <= 7 * 86_400 else {
                throw ValidationError("--deadline must be a duration such as 90s, 15m or 2h (at most 7d), not '\(SafeText.clean(deadline, limit: 40))'")
            }
        }
    }

    /// The instant `--deadline` ends, counted from the start of the command; nil without `--deadline`.
    var deadlineInstant: ContinuousClock.Instant? {
        guard let deadline, let seconds = parseDuration(deadline) else { return nil }
        return Self.commandStart() + .seconds(seconds)
    }

    /// Sets `stop` when `--deadline` passes, so that apply starts no further change; cancel the task when done.
    func stopAtDeadline(_ stop: StopFlag) -> Task<Void, Never>? {
        guard let instant = deadlineInstant else { return nil }
        return Task {
            do {
                try await Task.sleep(until: instant, clock: .continuous)
                Terminal.writeError("The deadline (--deadline \(deadline ?? "")) passed: no further change is started.\n")
                stop.stop()
            } catch {}
        }
    }

    /// Where the API key comes from, for messages (never the key itself): `--api-key-file`, else the manifests'
    /// `api_key_env` (`variable`), else `COGRAM_API_KEY`; the embedded sandbox makes its own.
    func keySource(variable: String? = nil, sandbox: Bool = false) -> String {
        if sandbox { return OrganizationHeader.sandboxKeySource }
        return apiKeyFile.map { "--api-key-file \(SafeText.clean($0, limit: 300))" } ?? variable ?? "COGRAM_API_KEY"
    }

    /// URL, key and actor from these options and the process environment; the key from `keyVariable` (the
    /// manifests' `api_key_env`) when given. A URL ending in `/v1` is normalised, with a warning on stderr.
    func resolveSettings(
        keyVariable: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ClientSettings {
        var settings = try ClientSettings.resolve(
            apiURL: apiURL, apiKeyFile: apiKeyFile, keyVariable: keyVariable, actor: actor, environment: environment)
        let (url, warning) = ClientConfiguration.normalizeBaseURL(settings.apiURL)
        if let warning {
            Terminal.writeError("warning: \(warning)\n")
            settings.apiURL = url
        }
        return settings
    }

    /// Timeouts, the deadline, the retries and their first backoff step, for every client (the embedded sandbox's too).
    func applyTimeouts(to configuration: inout ClientConfiguration) {
        configuration.connectTimeout = .milliseconds(Int((connectTimeout * 1000).rounded()))
        configuration.requestTimeout = .milliseconds(Int((requestTimeout * 1000).rounded()))
        configuration.readTimeout = min(configuration.readTimeout, configuration.requestTimeout)
        configuration.deadline = deadlineInstant
        configuration.maxRetries = maxRetries
        if let delay = parseDuration(retryDelay) {
            configuration.retryBaseDelay = .milliseconds(Int((delay * 1000).rounded()))
        }
    }

    /// Proxy and trust roots for a client of Cogram (never of the embedded sandbox).
    func applyNetwork(
        to configuration: inout ClientConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        configuration.proxy = try ProxySettings.resolve(option: proxy, target: configuration.baseURL, environment: environment)
        if ProxySettings.optionIsIgnored(proxy, target: configuration.baseURL) {
            Terminal.writeError(rendered: ProxySettings.ignoredOptionWarning)
        }
        // Over plain HTTP nothing is ever verified (redirects stay on the same origin), so the ambient SSL_CERT_FILE
        // is not parsed: a system bundle is 100+ certificates, 1 % of a whole `plan` against the sandbox. A
        // --ca-bundle, asked for by name, is still read and checked.
        let plainHTTP = configuration.baseURL.scheme?.lowercased() == "http"
        let trust = try ClientConfiguration.resolveTrustRoots(
            option: caBundle, environment: plainHTTP ? environment.filter { $0.key != "SSL_CERT_FILE" } : environment)
        configuration.additionalTrustRoots = trust.certificates
        configuration.trustSource = trust.source
    }

    /// The actor alone, for runs that need no key (`--sandbox`).
    func resolveActor(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        ClientSettings.resolveActor(actor, environment: environment)
    }

    /// A logger for the HTTP client: `debug` with `--verbose`, else only warnings.
    func httpLogger(label: String = "cogramctl.http") -> Logger {
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    /// A client configuration for `settings` (resolved from these options, or an embedded sandbox's): timeouts,
    /// retries and the deadline always; proxy and extra trust roots only for Cogram, never for the sandbox.
    func clientConfiguration(
        settings: ClientSettings, version: String, embeddedSandbox: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ClientConfiguration {
        var configuration = try ClientConfiguration(settings: settings, version: version, logger: httpLogger())
        applyTimeouts(to: &configuration)
        if !embeddedSandbox { try applyNetwork(to: &configuration, environment: environment) }
        return configuration
    }
}
