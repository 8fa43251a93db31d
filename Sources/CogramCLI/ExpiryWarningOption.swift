import ArgumentParser
import CogramManifest

/// `--expiry-warning DAYS`, shared by `plan`, `apply`, `drift` and `access`: entries that expire within this many
/// days of today (UTC) are listed as expiring.
struct ExpiryWarningOption: ParsableArguments {
    @Option(help: ArgumentHelp("List manifest entries that expire within this many days (0 to 3660).", valueName: "days"))
    var expiryWarning = DesiredState.defaultExpiryWindow

    init() {}

    func validate() throws {
        guard (0...3660).contains(expiryWarning) else { throw ValidationError("--expiry-warning takes a number of days from 0 to 3660") }
    }
}
