import CogramManifest
import CogramPlan
import Foundation
import Subprocess

/// An error of the workspace: a message that names the thing and the fix.
public struct WorkspaceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What `--changed-since GIT_REF` plans: only the projects whose desired state differs between the ref and the
/// working tree, so that a pull request's plan reads a few member lists instead of every one.
public enum ChangedSince {
    public enum Decision: Sendable, Hashable {
        /// A full plan, and the line that says why.
        case full(notice: String)
        /// A plan of these projects, and the line that says so.
        case scoped(ProjectScope, notice: String)

        /// The line for stderr, printed before anything else.
        public var notice: String {
            switch self {
            case .full(let notice), .scoped(_, let notice): notice
            }
        }

        /// The scope to plan; nil for a full plan.
        public var scope: ProjectScope? {
            if case .scoped(let scope, _) = self { return scope }
            return nil
        }
    }

    /// The scope for `ref` of the manifests `paths` (loaded as `desired`). The notice is for stderr, printed
    /// before anything else.
    public static func decide(ref: String, paths: [String], desired: DesiredState) async throws -> Decision {
        let base = try await GitManifests.load(paths: paths, ref: ref)
        guard let baseDesired = base.desired else {
            let errors = base.diagnostics.filter { $0.severity == .error }.count
            return .full(notice: "Full plan: the manifests at \(ref) do not load (\(plural(errors, "error"))), so what changed since is unknown.")
        }
        return decide(ref: ref, base: baseDesired, current: desired)
    }

    /// The decision for the manifests `current`, which were `base` at `ref`.
    static func decide(ref: String, base: DesiredState, current desired: DesiredState) -> Decision {
        switch ManifestChanges.between(base: base, current: desired) {
        case .everything(let reason):
            return .full(notice: "Full plan: since \(ref), \(reason).")
        case .projects(let externalIDs):
            let scope = ProjectScope(externalIDs: externalIDs, description: "changed since \(ref)")
            return .scoped(scope, notice:
                "Scoped plan: \(plural(externalIDs.count, "project")) changed since \(ref) (of \(desired.projects.count) in the manifests); "
                    + "drift in other projects is not checked.")
        }
    }

    /// `--changed-since` over several organization roots: each organization's scope comes from its own files, by
    /// comparing its root with the same folder at `ref` (the root there, loaded as its own organization). Every
    /// organization is planned, an unchanged one with an empty scope (its users section only); one whose root holds
    /// no organization at `ref`, or manifests that do not load there, gets a full plan. In the organizations' order,
    /// each notice starting with the organization's name.
    public static func decide(
        ref: String, paths: [String], organizations: [LoadedOrganization]
    ) async throws -> [(organization: String, decision: Decision)] {
        let base = ManifestLoader().loadOrganizations(sources: try await GitManifests.sources(paths: paths, ref: ref))
        return organizations.map { organization in
            let name = organization.name ?? "unnamed"
            let root = organization.organization?.root
            guard let then = base.organizations.first(where: { $0.organization?.root == root }) else {
                let why = base.isValid
                    ? "its folder holds no organization at \(ref)"
                    : "the manifests at \(ref) do not load (\(plural(base.diagnostics.filter { $0.severity == .error }.count, "error")))"
                return (name, .full(notice: "\(name): Full plan: \(why), so what changed since is unknown."))
            }
            switch decide(ref: ref, base: then.desired, current: organization.desired) {
            case .full(let notice): return (name, .full(notice: "\(name): \(notice)"))
            case .scoped(let scope, let notice): return (name, .scoped(scope, notice: "\(name): \(notice)"))
            }
        }
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}

/// The manifests as they were at a git ref, read with the `git` program from the repository that holds the
/// paths, under the same names as the working tree's files (so that diagnostics and scopes line up).
public enum GitManifests {
    public static func load(paths: [String], ref: String) async throws -> LoadResult {
        ManifestLoader().load(sources: try await sources(paths: paths, ref: ref))
    }

    /// The manifest files of `paths` as they were at `ref`, under the working tree's names.
    public static func sources(paths: [String], ref: String) async throws -> [SourceFile] {
        guard let first = paths.first else { return [] }
        let root = try await repositoryRoot(containing: first)
        let commit = try await resolve(ref, in: root)
        var requests: [(shown: String, inRepository: String)] = []
        for path in paths {
            let relative = try repositoryRelative(path, root: root)
            var arguments = ["ls-tree", "-r", "-z", "--name-only", commit]
            if !relative.isEmpty { arguments += ["--", relative] }
            let listing = try await git(arguments, in: root)
            let names = String(decoding: listing, as: UTF8.self).split(separator: "\0").map(String.init)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            for name in names {
                let shown: String
                if name == relative {
                    shown = path
                } else {
                    let below = relative.isEmpty ? name : String(name.dropFirst(relative.count + 1))
                    shown = path == "." || path == "./" ? below : (path as NSString).appendingPathComponent(below)
                }
                requests.append((shown, name))
            }
        }
        let contents = try await blobs(requests.map { "\(commit):\($0.inRepository)" }, in: root)
        return zip(requests, contents).map { SourceFile(path: $0.shown, bytes: $1) }
    }

    private static func repositoryRoot(containing path: String) async throws -> String {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let directory = exists && isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let output: Data
        do {
            output = try await git(["rev-parse", "--show-toplevel"], in: directory.isEmpty ? "." : directory)
        } catch {
            throw WorkspaceError("--changed-since needs the manifests in a git repository: \(error)")
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func resolve(_ ref: String, in root: String) async throws -> String {
        let output = ref.hasPrefix("-") ? nil
            : try? await git(["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"], in: root)
        guard let output else {
            throw WorkspaceError(
                "git ref '\(ref)' is not known in this repository. In a shallow clone (as CI checkouts are by default) fetch it "
                    + "first with enough depth, for example `git fetch --depth=1 origin \(ref.hasPrefix("origin/") ? String(ref.dropFirst(7)) : ref)` "
                    + "(or `git fetch --unshallow`; with actions/checkout, `fetch-depth: 0`), or check the name.")
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The path relative to the repository's top level ("" for the top level itself), symbolic links resolved.
    private static func repositoryRelative(_ path: String, root: String) throws -> String {
        let full = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let top = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        if full == top { return "" }
        guard full.hasPrefix(top + "/") else {
            throw WorkspaceError("\(path) is outside the git repository at \(root); --changed-since compares files of one repository")
        }
        return String(full.dropFirst(top.count + 1))
    }

    /// The contents of `objects` (`commit:path`), read with one `git cat-file --batch`.
    private static func blobs(_ objects: [String], in root: String) async throws -> [[UInt8]] {
        guard !objects.isEmpty else { return [] }
        let output = [UInt8](try await git(["cat-file", "--batch"], in: root, input: Data(objects.map { $0 + "\n" }.joined().utf8)))
        var results: [[UInt8]] = []
        var position = 0
        for object in objects {
            guard let newline = output[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw WorkspaceError("git cat-file ended early while reading \(object)")
            }
            let header = String(decoding: output[position..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 3, header[1] == "blob", let size = Int(header[2]), newline + 1 + size <= output.count else {
                throw WorkspaceError("git cannot read \(object): \(header.joined(separator: " "))")
            }
            results.append(Array(output[(newline + 1)..<(newline + 1 + size)]))
            position = newline + 1 + size + 1
        }
        return results
    }

    struct GitFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Most that one git command may print: every manifest at its largest several times over.
    static let maxOutputBytes = 1 << 30

    /// Runs `git -C directory arguments…`; its output, or an error with what git printed. Input, output and
    /// errors are written and read concurrently, so that a full pipe never blocks git or us; the output is
    /// streamed, so that its limit is not memory set aside in advance.
    @discardableResult
    static func git(_ arguments: [String], in directory: String, input: Data? = nil) async throws -> Data {
        let result: ExecutionResult<[UInt8], SequenceOutput, StringOutput<UTF8>>
        do {
            result = try await run(
                .name("git"), arguments: Arguments(["-C", directory] + arguments),
                input: .data(input ?? Data()), output: .sequence, error: .string(limit: 1 << 20)
            ) { execution in
                var collected: [UInt8] = []
                for try await buffer in execution.standardOutput {
                    buffer.withUnsafeBytes { collected.append(contentsOf: $0) }
                    guard collected.count <= maxOutputBytes else {
                        throw GitFailure(description: "git \(arguments.first ?? "") printed more than \(maxOutputBytes) bytes")
                    }
                }
                return collected
            }
        } catch let failure as GitFailure {
            throw failure
        } catch {
            throw GitFailure(description: "cannot run git (is it installed and on PATH?): \(error)")
        }
        let message = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.terminationStatus.isSuccess else {
            let status = switch result.terminationStatus {
            case .exited(let code): "exit \(code)"
            case .signaled(let signal): "signal \(signal)"
            }
            throw GitFailure(description: "git \(arguments.first ?? "") failed: \(message.isEmpty ? status : message)")
        }
        return Data(result.closureResult)
    }
}
