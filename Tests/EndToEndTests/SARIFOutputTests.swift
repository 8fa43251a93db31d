import CogramTestSupport
import Foundation
import Testing

/// `validate --format sarif`: a SARIF 2.1.0 log on stdout (nothing else there, even in GitHub Actions), one rule
/// per diagnostic kind, each result with its file relative to the current directory, line and column.
@Suite struct SARIFOutputTests {
    struct Log: Decodable {
        struct Run: Decodable {
            struct Driver: Decodable {
                struct Rule: Decodable {
                    struct Text: Decodable { var text: String }
                    var id: String
                    var name: String
                    var help: Text
                }
                var name: String
                var version: String
                var rules: [Rule]
            }
            struct Tool: Decodable { var driver: Driver }
            struct Result: Decodable {
                struct Location: Decodable {
                    struct Physical: Decodable {
                        struct Artifact: Decodable {
                            var uri: String
                            var uriBaseId: String?
                        }
                        struct Region: Decodable {
                            var startLine: Int
                            var startColumn: Int
                        }
                        var artifactLocation: Artifact
                        var region: Region
                    }
                    var physicalLocation: Physical
                }
                struct Message: Decodable { var text: String }
                var ruleId: String
                var ruleIndex: Int
                var level: String
                var message: Message
                var locations: [Location]
            }
            var tool: Tool
            var results: [Result]
            var columnKind: String
        }
        var version: String
        var runs: [Run]

        /// `uri:line:col ruleId level` of every result.
        var findings: [String] {
            runs[0].results.map { result in
                let location = result.locations[0].physicalLocation
                return "\(location.artifactLocation.uri):\(location.region.startLine):\(location.region.startColumn) \(result.ruleId) \(result.level)"
            }
        }
    }

    static func validate(_ path: String) async throws -> (Binary.Result, Log) {
        let result = try await Binary.run(["validate", path, "--format", "sarif"], environment: ["GITHUB_ACTIONS": "true", "NO_COLOR": "1"])
        let log = try JSONDecoder().decode(Log.self, from: Data(result.stdout.utf8))
        return (result, log)
    }

    @Test func findingsCarryRuleFileLineAndColumn() async throws {
        let (result, log) = try await Self.validate("examples/invalid/bad-enum.yaml")
        #expect(result.status == 1)
        #expect(log.version == "2.1.0")
        #expect(log.runs.count == 1)
        let run = log.runs[0]
        #expect(run.tool.driver.name == "cogramctl")
        #expect(run.columnKind == "unicodeCodePoints")
        #expect(log.findings == [
            "examples/invalid/bad-enum.yaml:5:11 COG012 error",
            "examples/invalid/bad-enum.yaml:11:15 COG012 error",
        ])
        #expect(run.results.allSatisfy { $0.locations[0].physicalLocation.artifactLocation.uriBaseId == "%SRCROOT%" })
        #expect(run.results[1].message.text == "invalid role 'onwer'; expected one of owner, editor, viewer; did you mean 'owner'?")
        // Rules: one per kind, each with help, indexed by the results.
        #expect(Set(run.tool.driver.rules.map(\.id)).count == run.tool.driver.rules.count)
        #expect(run.tool.driver.rules.count >= 10)
        #expect(run.tool.driver.rules.allSatisfy { !$0.help.text.isEmpty })
        #expect(run.results.allSatisfy { run.tool.driver.rules[$0.ruleIndex].id == $0.ruleId })
        // The human diagnostics still go to stderr; no GitHub annotation lands in the SARIF.
        #expect(result.stderr.contains("examples/invalid/bad-enum.yaml:5:11: error: invalid role 'superuser'"))
        #expect(!result.stdout.contains("::error"))
    }

    @Test func policyViolationsFoundOfflineAreResults() async throws {
        let (result, log) = try await Self.validate("examples/invalid/policies-violated.yaml")
        #expect(result.status == 1)
        let policy = log.runs[0].results.filter { $0.ruleId == "COG011" }
        #expect(!policy.isEmpty, "\(log.findings)")
        #expect(policy.allSatisfy { $0.message.text.contains("policies.") })
        #expect(log.runs[0].tool.driver.rules.first { $0.id == "COG011" }?.name == "Policy")
    }

    @Test func validManifestsGiveAnEmptyLogAndTheSummaryOnStderr() async throws {
        let (result, log) = try await Self.validate("examples/northwind")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(log.runs[0].results.isEmpty)
        #expect(log.runs[0].tool.driver.version == (try await Binary.run(["--version"])).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(result.stderr == "Valid: 3 files, 12 projects, 23 memberships, 12 users.\n")
    }

    @Test func aPossibleEmailTypoIsAWarningAndValidationPasses() async throws {
        let directory = try makeTemporaryDirectory("cogramctl-sarif")
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = """
            version: 1
            projects:
              - external_id: a
                name: A
                members:
                  - {email: ana.ruiz@acme.example, role: owner}
              - external_id: b
                name: B
                members:
                  - {email: ana.ruiz@acme.example, role: owner}
              - external_id: c
                name: C
                members:
                  - {email: ana.riuz@acme.example, role: owner}

            """
        try yaml.write(to: directory.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        let human = try await Binary.run(["validate", "org.yaml"], environment: ["NO_COLOR": "1"], in: directory)
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stderr.contains("org.yaml:14:9: warning: ana.riuz@acme.example appears only here, and ana.ruiz@acme.example appears 2 times; did you mean ana.ruiz@acme.example?"), "\(human.stderr)")
        let sarif = try await Binary.run(["validate", "org.yaml", "--format", "sarif"], in: directory)
        let log = try JSONDecoder().decode(Log.self, from: Data(sarif.stdout.utf8))
        #expect(log.findings == ["org.yaml:14:9 COG013 warning"])
    }
}
