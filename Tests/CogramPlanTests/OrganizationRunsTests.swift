import CogramAPI
import Foundation
import Testing

@testable import CogramPlan

/// The steps shared by every command over several organizations: keys first, anchors before anything, a body per
/// organization whose failure is its own, and the worst exit status.
@Suite struct OrganizationRunsTests {
    private struct Missing: Error, CustomStringConvertible {
        var variable: String
        var description: String { "no Cogram API key in \(variable)" }
    }

    private func run(_ name: String, anchor: String?, users: [String]) -> OrganizationRun<FakeCogram> {
        let store = FakeStore(users: users.map {
            User(id: $0, email: "\($0)@\(name.lowercased()).example", name: $0, role: .admin, externalID: nil, status: .active)
        })
        return OrganizationRun(name: name, anchor: anchor, client: FakeCogram(store: store), keySource: "COGRAM_API_KEY_\(name)")
    }

    @Test func resolveKeysNamesEveryMissingVariable() throws {
        let environment = ["COGRAM_API_KEY_US": "k"]
        let resolve = { (variable: String) throws -> String in
            guard let key = environment[variable] else { throw Missing(variable: variable) }
            return key
        }
        #expect(try OrganizationRuns.resolveKeys(["COGRAM_API_KEY_US"], resolve) == ["k"])
        #expect(throws: Missing.self) { try OrganizationRuns.resolveKeys(["COGRAM_API_KEY_US", "COGRAM_API_KEY_EU"], resolve) }
        do {
            _ = try OrganizationRuns.resolveKeys(["COGRAM_API_KEY_EU", "COGRAM_API_KEY_UK"], resolve)
            Issue.record("two missing variables must fail")
        } catch let errors as OrganizationKeyErrors {
            #expect(errors.description == "no Cogram API key in COGRAM_API_KEY_EU\nno Cogram API key in COGRAM_API_KEY_UK")
        }
    }

    @Test func anchorMismatchesNameEachWrongKeyAndReadNothingElse() async throws {
        let runs = [
            run("EU", anchor: "usr_eu", users: ["usr_us"]),
            run("UK", anchor: nil, users: []),
            run("US", anchor: "usr_us", users: ["usr_us"]),
        ]
        let mismatches = try await OrganizationRuns.anchorMismatches(runs)
        #expect(mismatches == [AnchorMismatch(organization: "EU", anchor: "usr_eu", keySource: "COGRAM_API_KEY_EU")])
        #expect(await runs[0].client.store.readLog == ["LIST-USERS"])
        #expect(await runs[1].client.store.readLog.isEmpty, "an organization without an anchor is not read")
    }

    @Test func bodiesRunForEveryOrganizationAndKeepTheirOrder() async {
        struct Failed: Error {}
        let runs = ["A", "B", "C"].map { run($0, anchor: nil, users: []) }
        let together = await OrganizationRuns.concurrently(runs) { run in
            if run.name == "B" { throw Failed() }
            return run.name
        }
        #expect(together.map { try? $0.get() } == ["A", nil, "C"], "a failure in B does not stop C")
        var started: [String] = []
        let oneByOne = await OrganizationRuns.inOrder(runs, stop: { started.count == 2 }) { run in
            started.append(run.name)
            if run.name == "A" { throw Failed() }
            return run.name
        }
        #expect(started == ["A", "B"], "a failure goes on, a stop does not")
        #expect(oneByOne.map { try? $0.get() } == [nil, "B"])
    }

    @Test(arguments: [
        ([0, 2, 3], 3), ([2, 0], 2), ([3, 4, 0], 4), ([4, 1, 3], 1), ([1, 130, 0], 130), ([0, 7], 1), ([], 0),
    ] as [([Int32], Int32)])
    func worstExitCodeFollowsTheSpecOrder(codes: [Int32], worst: Int32) {
        #expect(OrganizationRuns.worstExitCode(codes) == worst)
    }
}
