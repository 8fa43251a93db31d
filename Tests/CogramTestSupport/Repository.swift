import Foundation

/// Paths of the repository the tests run from, found from this file's own path so that no test depends on the
/// working directory it was started in.
public enum Repository {
    /// The repository root: this file is `Tests/CogramTestSupport/Repository.swift`.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file or directory given by its path relative to the root (`examples/northwind`).
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// `url(relative).path`.
    public static func path(_ relative: String) -> String { url(relative).path }
}
