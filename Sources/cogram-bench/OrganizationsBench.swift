import CogramAPI
import CogramBench
import CogramPlan
import CogramSandbox
import Foundation

/// Figure 13: two organizations planned at once (`cogramctl plan` over two roots) against planning them one by
/// one: the same requests, and the reads overlapped. Each organization is its own sandbox with the same server
/// latency, as two Cogram organizations behind one API answer independently, each to its own key.
extension SandboxBench {
    func organizations() async throws -> [ResultRow] {
        let n = sizes.readProjects, m = sizes.readMembers, u = sizes.readUsers
        let latency = sizes.latencyMilliseconds
        let shape = "2 organizations of \(n.formatted()) projects × \(m) members, \(u.formatted()) users"
        var organizations: [Prepared] = []
        for (index, name) in ["Bench US", "Bench UK"].enumerated() {
            organizations.append(try await prepare(
                OrganizationSpec(projects: n, membersPerProject: m, users: u, seed: 13 + UInt64(index), organizationName: name),
                name: "organization-\(index)"))
        }
        let prepared = organizations
        let first = try await start(prepared[0].databasePath, rateLimit: Self.unlimited, latencyMilliseconds: latency)
        return try await using(first) {
            let second = try await start(prepared[1].databasePath, rateLimit: Self.unlimited, latencyMilliseconds: latency)
            return try await using(second) {
                try await measure(prepared, sandboxes: [first, second], shape: shape)
            }
        }
    }

    private func measure(_ prepared: [Prepared], sandboxes: [RunningSandbox], shape: String) async throws -> [ResultRow] {
        let latency = sizes.latencyMilliseconds

        @Sendable func planOne(_ index: Int, parallelism: Int) async throws -> Int {
            try await withClient(sandboxes[index], requestsPerMinute: Self.unlimited, parallelism: parallelism) { client in
                let planned = try await plan(prepared[index].base, client: client, parallelism: parallelism)
                guard planned.changes.isEmpty else { throw BenchFailure("the base manifests of organization \(index) should plan no changes") }
                return await client.requestCount.total
            }
        }

        /// Plans every organization with a client of `parallelism` slots, one after the other or all at once;
        /// the wall time and the requests of each.
        func run(overlapped: Bool, parallelism: Int) async throws -> (Double, [Int]) {
            let clock = ContinuousClock.now
            var requests = [Int](repeating: 0, count: prepared.count)
            if overlapped {
                try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                    for index in prepared.indices {
                        group.addTask { (index, try await planOne(index, parallelism: parallelism)) }
                    }
                    for try await (index, count) in group { requests[index] = count }
                }
            } else {
                for index in prepared.indices { requests[index] = try await planOne(index, parallelism: parallelism) }
            }
            return ((ContinuousClock.now - clock).seconds, requests)
        }
        // The CLI gives each organization the whole --parallelism (each key has its own rate limit; see
        // Backend.withOrganizationClients); sharing it among them is measured beside it, to show why.
        let shared = max(1, Self.parallelism / prepared.count)
        var oneByOne: [(Double, [Int])] = [], together: [(Double, [Int])] = [], eachFull: [(Double, [Int])] = []
        for repetition in 1...sizes.repetitions {
            progress("13: planning \(shape) at \(latency) ms latency, one by one and at once (\(repetition)/\(sizes.repetitions))")
            oneByOne.append(try await run(overlapped: false, parallelism: Self.parallelism))
            together.append(try await run(overlapped: true, parallelism: shared))
            eachFull.append(try await run(overlapped: true, parallelism: Self.parallelism))
        }
        let best = { (runs: [(Double, [Int])]) in runs.min { $0.0 < $1.0 }! }
        let (sum, sequentialRequests) = best(oneByOne)
        let sameRequests = (together + eachFull).allSatisfy { $0.1 == sequentialRequests }
        func row(_ what: String, _ runs: [(Double, [Int])], slots: Int) -> ResultRow {
            let (wall, requests) = best(runs)
            return ResultRow(
                number: 13,
                figure: "plan of \(shape) at once, \(latency) ms server latency, \(what): wall / sum of planning them one by one",
                measured: "\(String(format: "%.2f", wall)) s / \(String(format: "%.2f", sum)) s = \(ratio(wall / sum)); requests \(requests.map(String.init).joined(separator: " + ")) = one by one",
                target: "≤ 0.60, same requests", met: wall <= 0.6 * sum && sameRequests,
                detail: "best of \(runs.count); \(slots) requests in flight per organization (one by one: \(Self.parallelism)); runs \(runs.map { String(format: "%.2f", $0.0) }.joined(separator: ", ")) s, one by one \(oneByOne.map { String(format: "%.2f", $0.0) }.joined(separator: ", ")) s; rate limit \(Self.unlimited.formatted())/min on both sides")
        }
        return [
            row("--parallelism \(Self.parallelism) for each (as the CLI does)", eachFull, slots: Self.parallelism),
            row("--parallelism \(Self.parallelism) shared among them (\(shared) each)", together, slots: shared),
        ]
    }
}
