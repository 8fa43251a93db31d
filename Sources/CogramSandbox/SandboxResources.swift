import Foundation

/// The files served without authentication: the OpenAPI document and the offline documentation page.
enum SandboxResources {
    static let openAPIFileName = "cogram-api.v1.openapi.yaml"

    static let openAPI: Data? = load(openAPIFileName)
    static let docsPage: Data? = load("docs.html")

    /// Finds the resource bundle without `Bundle.module`, whose accessor stops the process when the bundle is
    /// missing (a `cogramctl` binary copied away from its build folder must still run).
    private static func load(_ name: String) -> Data? {
        let bundleName = "cogramctl_CogramSandbox.resources"
        var directories: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL {
            directories.append(executable.deletingLastPathComponent())
            directories.append(executable.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        var candidates: [URL] = directories.flatMap { directory in
            [
                directory.appendingPathComponent(bundleName).appendingPathComponent("Resources")
                    .appendingPathComponent(name),
                directory.appendingPathComponent(bundleName).appendingPathComponent(name),
            ]
        }
        // Last resort while developing: the source tree this binary was built from.
        candidates.append(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")
                .appendingPathComponent(name))
        for candidate in candidates {
            if let data = try? Data(contentsOf: candidate) { return data }
        }
        return nil
    }
}
