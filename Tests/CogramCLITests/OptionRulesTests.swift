import ArgumentParser
import CogramAPI
import CogramSandbox
@testable import CogramCLI
import Testing

/// Parses a command line as `cogramctl` does (after its `--sandbox=DB` rewrite), without running it.
private func parse(_ arguments: [String]) throws -> any ParsableCommand {
    try Cogramctl.parseAsRoot(SandboxArguments.normalize(arguments))
}

/// The exit status and message `cogramctl` gives for a command line it refuses.
private func refusal(_ arguments: [String]) -> (code: Int32, message: String)? {
    do {
        _ = try parse(arguments)
        return nil
    } catch {
        return (Cogramctl.exitCode(for: error).rawValue, Cogramctl.message(for: error))
    }
}

@Suite struct OptionRulesTests {
    @Test func planDefaults() throws {
        let plan = try #require(try parse(["plan", "manifests"]) as? PlanCommand)
        #expect(plan.paths == ["manifests"])
        #expect(plan.format == .human)
        #expect(plan.expiresIn == "24h")
        #expect(plan.out == nil)
        #expect(!plan.detailedExitcode)
        #expect(plan.planning.reading.parallelism == ClientConfiguration.defaultMaxConcurrentRequests)
        #expect(plan.planning.reading.requestsPerMinute == ClientConfiguration.defaultRequestsPerMinute)
        #expect(plan.planning.targets.isEmpty)
        #expect(plan.changedSince.changedSince == nil)
        #expect(!plan.sandbox.isEnabled)
        #expect(plan.connection.maxRetries == ClientConfiguration.defaultMaxRetries)
        #expect(plan.connection.connectTimeout == 10)
        #expect(plan.connection.requestTimeout == 40)
        #expect(plan.connection.deadline == nil)
        #expect(plan.connection.retryDelay == "200ms")
    }

    /// `--retry-delay` sets the client's first backoff step; without it the step is the client's own default.
    @Test(arguments: [([String](), 200), (["--retry-delay", "50ms"], 50), (["--retry-delay", "1.5s"], 1500)])
    func retryDelayReachesTheClient(extra: [String], milliseconds: Int) throws {
        let plan = try #require(try parse(["plan", "m"] + extra) as? PlanCommand)
        var configuration = try ClientConfiguration(baseURL: "https://api.cogram.com", apiKey: APIKey("k"), version: "1")
        configuration.retryBaseDelay = .seconds(7)
        plan.connection.applyTimeouts(to: &configuration)
        #expect(configuration.retryBaseDelay == .milliseconds(milliseconds))
    }

    @Test func applyDefaults() throws {
        let apply = try #require(try parse(["apply", "a.yaml", "b.yaml"]) as? ApplyCommand)
        #expect(apply.paths == ["a.yaml", "b.yaml"])
        #expect(!apply.autoApprove)
        #expect(apply.format == .human)
        #expect(apply.manifests.isEmpty)
    }

    @Test func planOptionsCarryTheCapFlags() throws {
        let plan = try #require(try parse([
            "plan", "m", "--target", "web", "--allow-mass-archive", "--max-member-removals", "9", "--allow-no-owner",
        ]) as? PlanCommand)
        let options = plan.planning.planOptions(apiURL: "https://api.cogram.com", digest: "sha256:x")
        #expect(options.targets == ["web"])
        #expect(options.allowMassArchive)
        #expect(options.maxArchive == nil)
        #expect(options.maxMemberRemovals == 9)
        #expect(options.allowNoOwner)
    }

    @Test func changedSinceAndTargetConflict() throws {
        for command in ["plan", "apply"] {
            let result = try #require(refusal([command, "m", "--changed-since", "origin/main", "--target", "web"]))
            #expect(result.code == 64)
            #expect(result.message.contains("--changed-since and --target cannot be used together"), "\(result.message)")
        }
        #expect(try parse(["plan", "m", "--changed-since", "origin/main"]) is PlanCommand)
    }

    @Test(arguments: [
        (["plan", "m", "--parallelism", "0"], "--parallelism must be between 1 and 64"),
        (["apply", "m", "--parallelism", "65"], "--parallelism must be between 1 and 64"),
        (["plan", "m", "--rate-limit", "0"], "--rate-limit must be at least 1"),
        (["plan", "m", "--max-archive=-1"], "--max-archive must not be negative"),
        (["plan", "m", "--expires-in", "soon"], "--expires-in takes a duration such as 90m, 24h or 7d, not 'soon'"),
        (["plan", "m", "--expires-in", "8d"], "--expires-in may be at most 7d"),
        (["plan", "m", "--max-retries", "21"], "--max-retries must be between 0 and 20"),
        (["plan", "m", "--retry-delay", "0ms"], "--retry-delay must be a duration from 1ms to 10s such as 200ms or 1s, not '0ms'"),
        (["apply", "m", "--retry-delay", "11s"], "--retry-delay must be a duration from 1ms to 10s"),
        (["drift", "m", "--retry-delay", "fast"], "--retry-delay must be a duration from 1ms to 10s such as 200ms or 1s, not 'fast'"),
        (["sandbox", "serve", "--fault-429-retry-after", "121"], "--fault-429-retry-after must be between 0 and 120 seconds"),
        (["doctor", "--connect-timeout", "0"], "--connect-timeout must be between 0.1 and 600 seconds"),
        (["doctor", "--deadline", "forever"], "--deadline must be a duration such as 90s, 15m or 2h"),
        (["import", "--layout", "per-project"], "--layout per-project writes several files; name a directory with --out DIR"),
        (["import", "--prefix", "a b"], "--prefix must not contain white space"),
        (["drift", "m", "--adopt-into", "m/new.yaml"], "--adopt-into needs --adopt"),
        (["drift", "m", "--dry-run"], "--dry-run needs --adopt"),
        (["drift", "m", "--adopt", "--format", "json"], "--adopt prints a diff; --format applies to the report without --adopt"),
    ])
    func usageErrorsExit64(arguments: [String], message: String) throws {
        let result = try #require(refusal(arguments))
        #expect(result.code == 64)
        #expect(result.message.contains(message), "\(result.message)")
    }

    @Test func unknownOptionsAndValuesAreUsageErrors() throws {
        #expect(refusal(["plan", "m", "--no-such-option"])?.code == 64)
        #expect(refusal(["plan", "m", "--format", "yaml"])?.code == 64)
        #expect(refusal(["doctor", "--format", "markdown"])?.code == 64)
        #expect(refusal(["plan"])?.code == 64)
    }

    @Test func sandboxDatabaseIsGivenWithEquals() throws {
        let plan = try #require(try parse(["plan", "m", "--sandbox=org.sqlite"]) as? PlanCommand)
        #expect(plan.sandbox.isEnabled)
        #expect(plan.sandbox.databasePath == "org.sqlite")
        #expect(plan.paths == ["m"])
        let problem = SandboxArguments.misplacedDatabase(in: ["plan", "--sandbox", "org.sqlite", "m"])
        #expect(problem == "--sandbox takes its database with '=': write --sandbox=org.sqlite (with a space, org.sqlite would be read as a manifest)")
        #expect(SandboxArguments.misplacedDatabase(in: ["plan", "--sandbox", "manifests"]) == nil)
        #expect(SandboxArguments.misplacedDatabase(in: ["plan", "--", "--sandbox", "x.db"]) == nil)
    }

    @Test func orgRootNeedsANameAndNoOut() throws {
        let needsName = try #require(refusal(["import", "--org-root", "uk"]))
        #expect(needsName.code == 64 && needsName.message.contains("--org-root and --api-key-env need --organization-name NAME"), "\(needsName.message)")
        #expect(refusal(["import", "--org-root", "uk", "--organization-name", "Acme UK", "--out", "x"])?.message.contains("leave out --out") == true)
        #expect(refusal(["import", "--organization-name", "Acme UK", "--api-key-env", "UK_KEY"])?.code == 64)
        let accepted = try #require(try parse(["import", "--org-root", "uk", "--organization-name", "Acme UK"]) as? ImportCommand)
        #expect(accepted.orgRoot == "uk" && accepted.apiKeyEnv == nil)
    }
}
