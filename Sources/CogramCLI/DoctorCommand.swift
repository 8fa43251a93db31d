import ArgumentParser
import CogramAPI
import CogramDoctor
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

    /// The configuration checks (see `DoctorChecks.configure`); nil when no client can be made.
    private func configure(_ checks: inout DoctorChecks, environment: [String: String]) -> ClientConfiguration? {
        let options = DoctorChecks.ConnectionSettings(
            apiURL: connection.apiURL, apiKeyFile: connection.apiKeyFile, proxy: connection.proxy,
            caBundle: connection.caBundle, actor: connection.resolveActor(environment: environment), version: Cogramctl.version)
        return checks.configure(options, environment: environment) { configuration in
            configuration.logger = connection.httpLogger()
            connection.applyTimeouts(to: &configuration)
        }
    }

    private func placeholderConfiguration() throws -> ClientConfiguration {
        try ClientConfiguration(baseURL: ClientConfiguration.defaultBaseURL, apiKey: APIKey(""), version: Cogramctl.version)
    }

    private func finish(_ checks: DoctorChecks, url: String) throws {
        switch format {
        case .json: Terminal.writeOutput(rendered: String(decoding: try checks.jsonReport(apiURL: url), as: UTF8.self) + "\n")
        case .human: Terminal.writeOutput(rendered: checks.humanReport(apiURL: url))
        }
        if checks.failedCount > 0 { throw ExitCode(1) }
    }
}
