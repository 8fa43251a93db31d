import CogramManifest

/// The organization a plan is about, as its signed body records it: `apply PLANFILE` reads its key from
/// `api_key_env` and checks `anchor` against the organization that key reads. All nil for unbound manifests.
public struct PlanOrganization: Codable, Sendable, Hashable {
    public var name: String?
    public var anchor: String?
    public var apiKeyEnv: String?

    public init(name: String?, anchor: String?, apiKeyEnv: String?) {
        self.name = name
        self.anchor = anchor
        self.apiKeyEnv = apiKeyEnv
    }

    public init(_ section: OrganizationSection?) {
        self.init(name: section?.name, anchor: section?.anchor, apiKeyEnv: section?.apiKeyEnv)
    }

    enum CodingKeys: String, CodingKey {
        case name, anchor
        case apiKeyEnv = "api_key_env"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        anchor = try c.decodeIfPresent(String.self, forKey: .anchor)
        apiKeyEnv = try c.decodeIfPresent(String.self, forKey: .apiKeyEnv)
    }

    // Every key is written, null when unbound, so that a reader tells "unbound" from "an older cogramctl".
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(anchor, forKey: .anchor)
        try c.encode(apiKeyEnv, forKey: .apiKeyEnv)
    }

    /// The `OrganizationSection` the anchor check takes; nil when there is no anchor to check.
    public var section: OrganizationSection? {
        guard let name else { return nil }
        return OrganizationSection(name: name, anchor: anchor, apiKeyEnv: apiKeyEnv, location: SourceLocation(file: "", line: 0, column: 0), root: "")
    }
}

/// The first lines of every plan, drift and access rendering (cli.md, "Order of the first lines"): which
/// organization, its anchor, where the key came from, and which API was read. Never the key itself.
public struct OrganizationHeader: Sendable, Hashable {
    public var name: String?
    public var anchor: String?
    /// The variable the key came from (`COGRAM_API_KEY`, the manifests' `api_key_env`), `--api-key-file PATH`,
    /// or the embedded sandbox.
    public var keySource: String
    public var apiURL: String

    /// What `keySource` says for runs against the embedded sandbox (which makes its own key).
    public static let sandboxKeySource = "the embedded sandbox"

    public init(name: String?, anchor: String?, keySource: String, apiURL: String) {
        self.name = name
        self.anchor = anchor
        self.keySource = keySource
        self.apiURL = apiURL
    }

    /// Where the key of a run against `apiURL` came from when the command did not say: the embedded sandbox for a
    /// `sandbox:` URL, else `apiKeyEnv` or `COGRAM_API_KEY`.
    public static func defaultKeySource(apiURL: String, apiKeyEnv: String?) -> String {
        apiURL.hasPrefix("sandbox:") ? sandboxKeySource : (apiKeyEnv ?? "COGRAM_API_KEY")
    }

    /// `Organization: Acme US (anchor usr_8f3k2)`, or `unnamed organization` for unbound manifests.
    public var organizationLine: String {
        var line = "Organization: " + (name ?? "unnamed organization")
        if name != nil { line += anchor.map { " (anchor \($0))" } ?? " (no anchor)" }
        return escapeForTerminal(line)
    }

    /// `API: https://api.cogram.com, key from COGRAM_API_KEY_ACME_US`.
    public var apiLine: String {
        escapeForTerminal("API: \(apiURL), key from \(keySource)")
    }

    /// The two lines of the terminal renderings.
    public var humanLines: [String] { [organizationLine, apiLine] }

    /// The same lines for Markdown, with a hard line break; the URL and the key's source as code, so that
    /// neither is turned into a link or emphasis.
    public var markdownLines: [String] {
        [markdownEscape(organizationLine) + "  ", "API: \(markdownCode(apiURL)), key from \(markdownCode(keySource))"]
    }

    /// The warning `plan` gives once for manifests without `organization:` (manifest-v1.md, "Organization").
    public static let notBoundNote = "the manifests are not bound to an organization: nothing checks that the key reads "
        + "the organization they describe. Add an organization: section with name and anchor (`cogramctl import "
        + "--organization-name NAME` writes one)."

    /// The same as a short Markdown note.
    public static let notBoundMarkdown = "_Not bound to an organization: nothing checks that the key reads the organization "
        + "these manifests describe; add an `organization:` section with `name` and `anchor`._"
}
