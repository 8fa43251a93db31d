import Foundation

extension SandboxSeed {
    /// Why a seed file could not be used.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot read the sandbox seed \(path): \(reason)" }
    }

    /// The seed of a new sandbox database and where it came from (for the banner): `explicit` (`--sandbox-seed`),
    /// else a `sandbox-seed.json` beside the first manifest that has one or in its parent, else one member per
    /// email the manifests name (`emails`, normalized).
    public static func forNewDatabase(
        explicit: String?, manifestPaths: [String], emails: @autoclosure () -> Set<String>
    ) throws(Unreadable) -> (seed: SandboxSeed, source: String) {
        if let path = explicit {
            do {
                return (try SandboxSeed.load(path: path), path)
            } catch {
                throw Unreadable(path: path, reason: "\(error)")
            }
        }
        for manifest in manifestPaths {
            var directory = URL(fileURLWithPath: manifest)
            var isDirectory: ObjCBool = false
            if !(FileManager.default.fileExists(atPath: manifest, isDirectory: &isDirectory) && isDirectory.boolValue) {
                directory.deleteLastPathComponent()
            }
            for candidate in [directory, directory.deletingLastPathComponent()] {
                let file = candidate.appendingPathComponent("sandbox-seed.json").path
                if FileManager.default.fileExists(atPath: file) {
                    do {
                        return (try SandboxSeed.load(path: file), relativePath(file))
                    } catch {
                        throw Unreadable(path: relativePath(file), reason: "\(error)")
                    }
                }
            }
        }
        let users = emails().sorted().map { email in
            SandboxSeed.User(email: email, name: String(email.prefix { $0 != "@" }), role: .member)
        }
        return (SandboxSeed(organization: "Sandbox", users: users), "the manifests' \(users.count) email\(users.count == 1 ? "" : "s")")
    }

    /// `path` relative to the working directory when it is below it, else absolute.
    public static func relativePath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        return standardized.hasPrefix(cwd) ? String(standardized.dropFirst(cwd.count)) : standardized
    }
}
