import ArgumentParser
import CogramManifest
import CogramPlan
import Foundation

/// `--changed-since GIT_REF` on `plan` and `apply`: plan only the projects whose desired state differs between the
/// ref and the working tree, so that a pull request's plan reads a few member lists instead of every one.
struct ChangedSinceOption: ParsableArguments {
    @Option(help: ArgumentHelp("Plan only the projects whose desired state differs from the manifests at this git ref (e.g. origin/main), plus the users section.", valueName: "git-ref"))
    var changedSince: String?

    init() {}

    /// The scope to plan, or nil for a full plan (no option, or a change that concerns every project). Says which
    /// on stderr, before anything else is printed.
    func scope(paths: [String], desired: DesiredState, targets: [String]) throws -> ProjectScope? {
        guard let ref = changedSince else { return nil }
        guard targets.isEmpty else { throw ValidationError("--changed-since and --target cannot be used together") }
        let base = try GitManifests.load(paths: paths, ref: ref)
        guard let baseDesired = base.desired else {
            let errors = base.diagnostics.filter { $0.severity == .error }.count
            Terminal.writeError("Full plan: the manifests at \(ref) do not load (\(plural(errors, "error"))), so what changed since is unknown.\n")
            return nil
        }
        switch ManifestChanges.between(base: baseDesired, current: desired) {
        case .everything(let reason):
            Terminal.writeError("Full plan: since \(ref), \(reason).\n")
            return nil
        case .projects(let externalIDs):
            let scope = ProjectScope(externalIDs: externalIDs, description: "changed since \(ref)")
            Terminal.writeError(
                "Scoped plan: \(plural(externalIDs.count, "project")) changed since \(ref) (of \(desired.projects.count) in the manifests); "
                    + "drift in other projects is not checked.\n")
            return scope
        }
    }
}

/// The manifests as they were at a git ref, read with the `git` program from the repository that holds the
/// paths, under the same names as the working tree's files (so that diagnostics and scopes line up).
enum GitManifests {
    static func load(paths: [String], ref: String) throws -> LoadResult {
        guard let first = paths.first else { return ManifestLoader().load(sources: []) }
        let root = try repositoryRoot(containing: first)
        let commit = try resolve(ref, in: root)
        var requests: [(shown: String, inRepository: String)] = []
        for path in paths {
            let relative = try repositoryRelative(path, root: root)
            var arguments = ["ls-tree", "-r", "-z", "--name-only", commit]
            if !relative.isEmpty { arguments += ["--", relative] }
            let listing = try git(arguments, in: root)
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
        let contents = try blobs(requests.map { "\(commit):\($0.inRepository)" }, in: root)
        let sources = zip(requests, contents).map { SourceFile(path: $0.shown, bytes: $1) }
        return ManifestLoader().load(sources: sources)
    }

    private static func repositoryRoot(containing path: String) throws -> String {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let directory = exists && isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let output: Data
        do {
            output = try git(["rev-parse", "--show-toplevel"], in: directory.isEmpty ? "." : directory)
        } catch {
            throw CLIError("--changed-since needs the manifests in a git repository: \(error)")
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func resolve(_ ref: String, in root: String) throws -> String {
        guard !ref.hasPrefix("-"),
              let output = try? git(["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"], in: root)
        else {
            throw CLIError(
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
            throw CLIError("\(path) is outside the git repository at \(root); --changed-since compares files of one repository")
        }
        return String(full.dropFirst(top.count + 1))
    }

    /// The contents of `objects` (`commit:path`), read with one `git cat-file --batch`.
    private static func blobs(_ objects: [String], in root: String) throws -> [[UInt8]] {
        guard !objects.isEmpty else { return [] }
        let output = [UInt8](try git(["cat-file", "--batch"], in: root, input: Data(objects.map { $0 + "\n" }.joined().utf8)))
        var results: [[UInt8]] = []
        var position = 0
        for object in objects {
            guard let newline = output[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw CLIError("git cat-file ended early while reading \(object)")
            }
            let header = String(decoding: output[position..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 3, header[1] == "blob", let size = Int(header[2]), newline + 1 + size <= output.count else {
                throw CLIError("git cannot read \(object): \(header.joined(separator: " "))")
            }
            results.append(Array(output[(newline + 1)..<(newline + 1 + size)]))
            position = newline + 1 + size + 1
        }
        return results
    }

    struct GitFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `git arguments…` in `directory`; its output, or an error with what git printed.
    @discardableResult
    static func git(_ arguments: [String], in directory: String, input: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        do {
            try process.run()
        } catch {
            throw GitFailure(description: "cannot run git (is it installed and on PATH?): \(error.localizedDescription)")
        }
        // Input is written and stderr drained on other threads, so that a full pipe never blocks git or us.
        let errorOutput = PipeReader(err.fileHandleForReading)
        let writer = Thread {
            if let input { stdin.fileHandleForWriting.write(input) }
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = String(decoding: errorOutput.wait(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            throw GitFailure(description: "git \(arguments.first ?? "") failed: \(message.isEmpty ? "exit \(process.terminationStatus)" : message)")
        }
        return data
    }
}

/// Reads a pipe to its end on a thread of its own.
private final class PipeReader: @unchecked Sendable {
    // Safe: `data` is written once by the reading thread before `done` is signalled, and read only after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
