import CogramManifest
import CogramTestSupport
import Foundation

/// Manifests of the repository, read as the loader reads them.
extension Repository {
    /// Reads a file or every *.yaml at any depth below a directory into sources named by their repository-relative path,
    /// as `cogramctl validate` run from the root would name them.
    static func sources(_ relative: String) throws -> [SourceFile] {
        let url = url(relative)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let names: [String]
        if isDirectory.boolValue {
            // Recursively, as the loader walks a directory (organization roots are subfolders).
            names = try FileManager.default.subpathsOfDirectory(atPath: url.path)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                .map { relative + "/" + $0 }
        } else {
            names = [relative]
        }
        return try names.map { SourceFile(path: $0, bytes: [UInt8](try Data(contentsOf: self.url($0)))) }
    }

    static func load(_ relative: String) throws -> LoadResult {
        ManifestLoader().load(sources: try sources(relative))
    }

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: url(relative), encoding: .utf8)
    }
}

/// Loads one in-memory manifest.
func load(_ yaml: String, file: String = "test.yaml") -> LoadResult {
    ManifestLoader().load(sources: [SourceFile(path: file, bytes: Array(yaml.utf8))])
}

/// The diagnostics of one in-memory manifest as `line:col: message` strings.
func messages(_ yaml: String) -> [String] {
    load(yaml).diagnostics.map { d in
        d.location.map { "\($0.line):\($0.column): \(d.message)" } ?? d.message
    }
}
