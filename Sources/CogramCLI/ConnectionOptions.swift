import ArgumentParser
import CogramAPI
import Foundation
import Logging

/// Where and as whom to talk to Cogram; shared by `plan`, `apply` and `import` through `@OptionGroup`.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("api-url"),
        help: ArgumentHelp(
            "Cogram API root (default: $COGRAM_API_URL, else https://api.cogram.com). Plain http:// only for loopback hosts.",
            valueName: "url"))
    var apiURL: String?

    @Option(
        name: .customLong("api-key-file"),
        help: ArgumentHelp(
            "Read the API key from this file (must not be readable by group or others: chmod 600). Default: $COGRAM_API_KEY.",
            valueName: "file"))
    var apiKeyFile: String?

    @Option(
        name: .customLong("actor"),
        help: ArgumentHelp(
            "Person to attribute changes to in Cogram's audit log (X-Forwarded-User). Default: $COGRAM_ACTOR, else the CI's user ($GITHUB_ACTOR, $GITLAB_USER_LOGIN, $BUILDKITE_BUILD_CREATOR_EMAIL).",
            valueName: "id-or-email"))
    var actor: String?

    @Option(
        name: .customLong("max-retries"),
        help: ArgumentHelp(
            "Retries of one request after a 5xx, a timeout or a dropped connection, with jittered exponential backoff (0-20; 429 waits are counted apart).",
            valueName: "n"))
    var maxRetries = ClientConfiguration.defaultMaxRetries

    @Flag(name: .customLong("verbose"), help: "Log every HTTP request, response and retry to stderr (the API key is redacted).")
    var verbose = false

    init() {}

    func validate() throws {
        guard (0...20).contains(maxRetries) else { throw ValidationError("--max-retries must be between 0 and 20") }
    }

    /// URL, key and actor from these options and the process environment.
    func resolveSettings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ClientSettings {
        try ClientSettings.resolve(apiURL: apiURL, apiKeyFile: apiKeyFile, actor: actor, environment: environment)
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

    /// A client configuration for `settings` (resolved from these options, or an embedded sandbox's).
    func clientConfiguration(settings: ClientSettings, version: String) throws -> ClientConfiguration {
        var configuration = try ClientConfiguration(settings: settings, version: version, logger: httpLogger())
        configuration.maxRetries = maxRetries
        return configuration
    }
}
