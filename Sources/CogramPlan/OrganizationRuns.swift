import CogramAPI
import CogramManifest

/// One organization of a run over several (cli.md, "Several organizations"): the client that holds its key, and
/// only its key.
public struct OrganizationRun<Client: CogramClientProtocol>: Sendable {
    /// The name in its `organization:` section (or the name a saved plan records); `unnamed` when it has none.
    public var name: String
    /// The id of a user the key must read (`organization.anchor`); nil when the organization records none.
    public var anchor: String?
    public var client: Client
    /// Where the key came from, for messages: a variable name or the sandbox's note. Never the key.
    public var keySource: String

    public init(name: String, anchor: String?, client: Client, keySource: String) {
        self.name = name
        self.anchor = anchor
        self.client = client
        self.keySource = keySource
    }
}

/// Keys that could not be resolved, for every organization at once, so that one run names every missing variable.
public struct OrganizationKeyErrors: Error, Sendable, CustomStringConvertible {
    /// One message per organization whose key failed, in the organizations' order.
    public var messages: [String]

    public var description: String { messages.joined(separator: "\n") }
}

/// The shared steps of `plan`, `apply`, `drift` and `access` over several organizations: every key resolved before
/// any request, the anchor of each organization checked before anything else is read or written, then a body per
/// organization (all at once for reads, one after the other for writes), each organization's failure its own, and
/// the exit status the worst of them.
public enum OrganizationRuns {
    /// `resolve` for each of `items`, before any key is used: a missing variable for one organization stops the
    /// run before any request. The errors of every item are collected; a single one is rethrown as it is (its
    /// message already names the variable), several as `OrganizationKeyErrors`.
    public static func resolveKeys<Item, Key>(
        _ items: [Item], _ resolve: (Item) throws -> Key
    ) throws -> [Key] {
        var keys: [Key] = []
        var errors: [any Error] = []
        for item in items {
            do {
                keys.append(try resolve(item))
            } catch {
                errors.append(error)
            }
        }
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty { throw OrganizationKeyErrors(messages: errors.map { "\($0)" }) }
        return keys
    }

    /// The anchor check of every organization, each key reading its own user list, all at once: the mismatches
    /// in the order of `runs` (empty when every key reads its organization). A run without an anchor passes.
    /// Callers stop everything on any mismatch: a key of another organization must not write.
    public static func anchorMismatches<Client>(_ runs: [OrganizationRun<Client>]) async throws -> [AnchorMismatch] {
        let results = await concurrently(runs) { run -> AnchorMismatch? in
            guard let anchor = run.anchor else { return nil }
            let users = try await run.client.listUsers(email: nil)
            guard users.contains(where: { $0.id == anchor }) else {
                return AnchorMismatch(organization: run.name, anchor: anchor, keySource: run.keySource)
            }
            return nil
        }
        return try results.compactMap { try $0.get() }
    }

    /// `body` for every organization (an `OrganizationRun`, or whatever a command keeps per organization) at once,
    /// so that reads overlap; the results in the order of `runs`. One organization's error does not cancel the
    /// others.
    public static func concurrently<Run: Sendable, T: Sendable>(
        _ runs: [Run], _ body: @escaping @Sendable (Run) async throws -> T
    ) async -> [Result<T, any Error>] {
        await withTaskGroup(of: (Int, Result<T, any Error>).self) { group in
            for (index, run) in runs.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await body(run)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<T, any Error>?](repeating: nil, count: runs.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }

    /// `body` for each run, one after the other in the order of `runs` (for writes: one organization at a time,
    /// so that a report and an interruption concern one organization). A failure does not stop the next; a
    /// `stop` that answers true does (the runs not started get no result).
    public static func inOrder<Run, T>(
        _ runs: [Run], stop: () -> Bool = { false }, _ body: (Run) async throws -> T
    ) async -> [Result<T, any Error>] {
        var results: [Result<T, any Error>] = []
        for run in runs {
            if stop() { break }
            do {
                results.append(.success(try await body(run)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// The exit status of a run over several organizations: the worst of theirs, in the order 130, 1, 4, 3, 2, 0
    /// (cli.md, "Third round: precise rules"). An unknown status counts as 1.
    public static func worstExitCode(_ codes: some Sequence<Int32>) -> Int32 {
        let order: [Int32] = [130, 1, 4, 3, 2, 0]
        let known = codes.map { order.contains($0) ? $0 : 1 }
        return order.first { known.contains($0) } ?? 0
    }
}
