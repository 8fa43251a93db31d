import Foundation

/// A SARIF 2.1.0 log (OASIS Static Analysis Results Interchange Format), the part of it cogramctl writes: one
/// run, its tool with one rule per diagnostic kind, and one result per diagnostic with its file, line and column.
/// GitHub code scanning, GitLab and most CI dashboards read it.
public struct SARIFLog: Codable, Sendable, Hashable {
    public var schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    public var version = "2.1.0"
    public var runs: [Run]

    enum CodingKeys: String, CodingKey {
        case schema = "$schema"
        case version, runs
    }

    public struct Run: Codable, Sendable, Hashable {
        public var tool: Tool
        public var results: [Result]
        /// Columns count Unicode scalars, as the loader's columns do (SARIF's default is UTF-16 code units).
        public var columnKind = "unicodeCodePoints"
        /// `%SRCROOT%`: the directory relative paths are relative to.
        public var originalUriBaseIds: [String: ArtifactLocation]?
    }

    public struct Tool: Codable, Sendable, Hashable {
        public var driver: Driver
    }

    public struct Driver: Codable, Sendable, Hashable {
        public var name: String
        public var version: String
        public var informationUri: String
        public var rules: [Rule]
    }

    public struct Rule: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
        public var shortDescription: Message
        public var fullDescription: Message
        public var help: Message
        public var defaultConfiguration: Configuration
    }

    public struct Configuration: Codable, Sendable, Hashable {
        public var level: String
    }

    public struct Message: Codable, Sendable, Hashable {
        public var text: String
    }

    public struct Result: Codable, Sendable, Hashable {
        public var ruleId: String
        public var ruleIndex: Int
        public var level: String
        public var message: Message
        public var locations: [Location]?
    }

    public struct Location: Codable, Sendable, Hashable {
        public var physicalLocation: PhysicalLocation
    }

    public struct PhysicalLocation: Codable, Sendable, Hashable {
        public var artifactLocation: ArtifactLocation
        public var region: Region
    }

    public struct ArtifactLocation: Codable, Sendable, Hashable {
        public var uri: String
        public var uriBaseId: String?
    }

    public struct Region: Codable, Sendable, Hashable {
        public var startLine: Int
        public var startColumn: Int
    }
}

extension SARIFLog {
    public static let sourceRoot = "%SRCROOT%"

    /// The log of `diagnostics`. Files inside `base` (the current directory: a CI job's checkout) get URIs
    /// relative to it, under `%SRCROOT%`, as code scanning expects; files outside it get absolute `file://` URIs.
    /// Every rule is listed, so that a dashboard knows them before they fire.
    public init(diagnostics: [Diagnostic], toolVersion: String, base: URL) {
        let rules = DiagnosticRule.all + [DiagnosticRule.manifest]
        let index = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($1.id, $0) })
        let base = base.standardizedFileURL
        let results = diagnostics.map { diagnostic -> Result in
            let rule = DiagnosticRule.rule(for: diagnostic.message)
            let locations = diagnostic.location.map { location in
                [Location(physicalLocation: PhysicalLocation(
                    artifactLocation: Self.artifact(location.file, base: base),
                    region: Region(startLine: max(1, location.line), startColumn: max(1, location.column))))]
            }
            return Result(
                ruleId: rule.id, ruleIndex: index[rule.id] ?? 0, level: Self.level(diagnostic.severity),
                message: Message(text: diagnostic.message), locations: locations)
        }
        let driver = Driver(
            name: "cogramctl", version: toolVersion, informationUri: "https://github.com/cogramctl/cogramctl",
            rules: rules.map { rule in
                Rule(id: rule.id, name: rule.name, shortDescription: Message(text: rule.summary),
                     fullDescription: Message(text: rule.summary), help: Message(text: rule.help),
                     defaultConfiguration: Configuration(level: Self.level(rule.severity)))
            })
        var baseURI = base.absoluteString
        if !baseURI.hasSuffix("/") { baseURI += "/" }
        self.runs = [Run(
            tool: Tool(driver: driver), results: results,
            originalUriBaseIds: [Self.sourceRoot: ArtifactLocation(uri: baseURI, uriBaseId: nil)])]
    }

    /// Stable JSON: sorted keys, pretty printed, with a final newline.
    public func jsonData() throws -> Data {
        try StableJSON.data(self)
    }

    static func level(_ severity: Diagnostic.Severity) -> String {
        switch severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "note"
        }
    }

    static func artifact(_ path: String, base: URL) -> ArtifactLocation {
        let absolute = path.hasPrefix("/") ? path : base.path + "/" + path
        let file = URL(fileURLWithPath: absolute).standardizedFileURL
        let baseComponents = base.pathComponents, fileComponents = file.pathComponents
        if fileComponents.count > baseComponents.count, Array(fileComponents.prefix(baseComponents.count)) == baseComponents {
            let relative = fileComponents.dropFirst(baseComponents.count).map(percentEncoded).joined(separator: "/")
            return ArtifactLocation(uri: relative, uriBaseId: sourceRoot)
        }
        return ArtifactLocation(uri: file.absoluteString, uriBaseId: nil)
    }

    private static func percentEncoded(_ component: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/;?#[]@%")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }
}
