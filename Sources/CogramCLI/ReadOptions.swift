import ArgumentParser
import CogramAPI

/// How hard Cogram is read: shared by `plan` and `apply` (through `PlanningOptions`), `drift` and `access`, so that
/// the four agree on names, help, defaults and bounds.
struct ReadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("How many requests may run at once (under the shared rate limit).", valueName: "n"))
    var parallelism = ClientConfiguration.defaultMaxConcurrentRequests

    @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Client-side request budget per minute (Cogram allows \(ClientConfiguration.defaultRequestsPerMinute) per key).", valueName: "n"))
    var requestsPerMinute = ClientConfiguration.defaultRequestsPerMinute

    func validate() throws {
        guard parallelism >= 1, parallelism <= 64 else { throw ValidationError("--parallelism must be between 1 and 64") }
        guard requestsPerMinute >= 1 else { throw ValidationError("--rate-limit must be at least 1") }
    }
}
