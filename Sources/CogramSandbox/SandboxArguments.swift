import Foundation

/// The command-line spelling of `--sandbox=DB` (cli.md), which swift-argument-parser cannot parse as it is.
public enum SandboxArguments {
    /// The error for `--sandbox DB` (a space instead of `=`), which would read the database as a manifest: the
    /// argument after `--sandbox` is an SQLite file, or is named like one.
    public static func misplacedDatabase(in arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { return nil }
            guard argument == "--sandbox", index + 1 < arguments.count else { continue }
            let next = arguments[index + 1]
            guard !next.hasPrefix("-"), looksLikeDatabase(next) else { continue }
            return "--sandbox takes its database with '=': write --sandbox=\(next) (with a space, \(next) would be read as a manifest)"
        }
        return nil
    }

    /// Named `*.sqlite`, `*.sqlite3` or `*.db`, or starting with SQLite's file header.
    public static func looksLikeDatabase(_ path: String) -> Bool {
        let lowered = path.lowercased()
        if [".sqlite", ".sqlite3", ".db"].contains(where: { lowered.hasSuffix($0) }) { return true }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        return header == Data("SQLite format 3\u{0}".utf8)
    }

    /// Rewrites `--sandbox=DB` (the spelling of cli.md) into `--sandbox --sandbox-db DB`, which
    /// swift-argument-parser can parse: it has no option whose value is optional.
    public static func normalize(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for argument in arguments {
            if argument == "--" {
                out.append(argument)
                continue
            }
            if argument.hasPrefix("--sandbox=") {
                out.append("--sandbox")
                out.append("--sandbox-db")
                out.append(String(argument.dropFirst("--sandbox=".count)))
            } else {
                out.append(argument)
            }
        }
        return out
    }
}
