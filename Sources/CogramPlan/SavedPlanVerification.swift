import CogramAPI
import Foundation

/// A saved plan file (`plan --out`) as `apply PLANFILE` reads it.
public enum SavedPlanFile {
    /// Why a file that looks like a saved plan cannot be applied.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path) is not a plan this cogramctl can apply: \(reason)" }
    }

    /// The plan in `path` when it is a saved plan (a JSON object with `kind` or `format_version`); nil for
    /// manifests (a directory, YAML, or JSON that is no plan); `Unreadable` for a plan that does not load.
    public static func load(path: String) throws(Unreadable) -> Plan? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path),
              data.first(where: { !(" \t\r\n".utf8.contains($0)) }) == UInt8(ascii: "{")
        else { return nil }
        guard let object = JSONValue(json: data)?.objectValue, object["kind"] != nil || object["format_version"] != nil
        else { return nil }
        do {
            return try Plan.load(from: data)
        } catch {
            throw Unreadable(path: path, reason: "\(error)")
        }
    }
}

/// The checks `apply PLANFILE` makes before it sends anything, in order: the signature (nothing in an
/// unauthenticated file is acted on, or even printed), expiry and API, the manifests it was made from, then the
/// safety caps measured against what Cogram has now (not counts in the file) and the preconditions.
public enum SavedPlanVerification {
    public enum Verdict: Sendable {
        /// Apply it.
        case ready
        /// Nothing to do (an empty plan, once it is known to be authentic and current).
        case nothingToDo
        /// Unsigned, altered, expired, for another API, or from other manifests: exit 3, nothing applied.
        case invalid(reason: String)
        /// Refused by a safety cap: exit 4, nothing applied.
        case refused([SafetyViolation])
        /// Cogram moved since the plan was made: exit 3, nothing applied.
        case stale([PreconditionFailure])
    }

    /// The manifests a plan is checked against (`apply PLANFILE --manifests PATH…`).
    public struct Manifests: Sendable {
        /// The paths, as the user wrote them (named in the message).
        public var paths: [String]
        /// Computes their digest; called only after the signature passed.
        public var digest: @Sendable () throws -> String

        public init(paths: [String], digest: @escaping @Sendable () throws -> String) {
            self.paths = paths
            self.digest = digest
        }
    }

    /// The reason for a plan whose manifests changed since it was made.
    public static func manifestsChanged(_ paths: [String]) -> String {
        "the manifests changed since the plan was made: \(paths.joined(separator: " ")) no longer produce this plan (manifest_digest differs). Plan again from the current manifests and review that plan."
    }

    public static func verify(
        _ plan: Plan, key: PlanSigningKey, apiURL: String, manifests: Manifests?, options: PlanOptions,
        client: some CogramClientProtocol, parallelism: Int, now: Date = Date()
    ) async throws -> Verdict {
        do {
            try plan.verifySignature(with: key)
            try plan.validateForApply(apiURL: apiURL, now: now)
        } catch {
            return .invalid(reason: "\(error)")
        }
        if let manifests, try manifests.digest() != plan.manifestDigest {
            return .invalid(reason: manifestsChanged(manifests.paths))
        }
        if plan.isEmpty { return .nothingToDo }
        let inventory = try await liveInventory(plan: plan, client: client, parallelism: parallelism)
        let violations = safetyViolations(plan: plan, options: options, inventory: inventory)
        if !violations.isEmpty { return .refused(violations) }
        let moved = try await checkPreconditions(plan: plan, client: client, parallelism: parallelism)
        if !moved.isEmpty { return .stale(moved) }
        return .ready
    }
}
