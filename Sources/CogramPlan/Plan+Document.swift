import CogramCore
import CogramManifest
import Crypto
import Foundation

// MARK: - JSON document

extension Plan: Codable {
    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case kind
        case toolVersion = "tool_version"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case apiURL = "api_url"
        case manifestDigest = "manifest_digest"
        case summary, changes, warnings
        case safetyViolations = "safety_violations"
        case inventory, targets, scope, signature
        case safetyOverrides = "safety_overrides"
        case ownershipPrefix = "ownership_prefix"
        case manifestFiles = "manifest_files"
        case access, expiring
        case organization
    }

    /// `"scope"`: whether the plan covers everything the manifests manage or only `--target`ed projects.
    struct Scope: Codable, Hashable {
        var kind: String
        var targets: [String]?
    }

    var scope: Scope { targets.map { Scope(kind: "targeted", targets: $0) } ?? Scope(kind: "full", targets: nil) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(String.self, forKey: .formatVersion)
        kind = try c.decode(String.self, forKey: .kind)
        toolVersion = try c.decode(String.self, forKey: .toolVersion)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        expiresAt = try c.decode(String.self, forKey: .expiresAt)
        apiURL = try c.decode(String.self, forKey: .apiURL)
        manifestDigest = try c.decode(String.self, forKey: .manifestDigest)
        changes = try c.decode([Change].self, forKey: .changes)
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
        safetyViolations = try c.decodeIfPresent([SafetyViolation].self, forKey: .safetyViolations) ?? []
        inventory = try c.decodeIfPresent(PlanInventory.self, forKey: .inventory) ?? PlanInventory()
        targets = try c.decodeIfPresent([String].self, forKey: .targets)
        safetyOverrides = try c.decodeIfPresent(SafetyOverrides.self, forKey: .safetyOverrides) ?? SafetyOverrides()
        ownershipPrefix = try c.decodeIfPresent(String.self, forKey: .ownershipPrefix)
        signature = try c.decodeIfPresent(String.self, forKey: .signature)
        manifestFiles = try c.decodeIfPresent([String: String].self, forKey: .manifestFiles)
        // `access` is not read: it is derived from the changes, like `summary`.
        expiring = try c.decodeIfPresent([ExpiringAccess].self, forKey: .expiring) ?? []
        organization = try c.decodeIfPresent(PlanOrganization.self, forKey: .organization)
        keySource = nil
        errors = []
    }

    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, signedBody: false)
    }

    /// The document, or with `signedBody` the part the signature covers: without `access` (derived from the
    /// changes, so recomputed rather than trusted) and without an empty `expiring` (plans saved before it existed
    /// keep verifying).
    func encode(to encoder: any Encoder, signedBody: Bool) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !signedBody { try c.encode(access, forKey: .access) }
        if !signedBody || !expiring.isEmpty { try c.encode(expiring, forKey: .expiring) }
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(kind, forKey: .kind)
        try c.encode(toolVersion, forKey: .toolVersion)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(apiURL, forKey: .apiURL)
        try c.encode(manifestDigest, forKey: .manifestDigest)
        try c.encode(summary, forKey: .summary)
        try c.encode(changes, forKey: .changes)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(safetyViolations, forKey: .safetyViolations)
        try c.encode(inventory, forKey: .inventory)
        try c.encodeIfPresent(targets, forKey: .targets)
        try c.encode(scope, forKey: .scope)
        try c.encode(safetyOverrides, forKey: .safetyOverrides)
        try c.encodeIfPresent(ownershipPrefix, forKey: .ownershipPrefix)
        try c.encodeIfPresent(manifestFiles, forKey: .manifestFiles)
        // Absent in plans saved before the organization was recorded, so that their signatures still verify.
        try c.encodeIfPresent(organization, forKey: .organization)
        try c.encodeIfPresent(signature, forKey: .signature)
    }

    /// The document as stable JSON: sorted keys, pretty printed, with a final newline.
    public func jsonData() throws -> Data {
        try StableJSON.data(self)
    }

    /// Reads a saved plan, checking `kind` and the major `format_version` before anything else.
    public static func load(from data: Data) throws(PlanValidationError) -> Plan {
        struct Header: Decodable {
            var kind: String?
            var format_version: String?
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw .malformed("it is not a JSON object (\(DecodingError.describe(error)))")
        }
        guard header.kind == Plan.kind else {
            throw .wrongKind(found: header.kind)
        }
        guard let version = header.format_version else {
            throw .malformed("\"format_version\" is missing")
        }
        let major = version.split(separator: ".", maxSplits: 1).first.map(String.init) ?? version
        guard major == Plan.formatVersion else {
            throw .unsupportedFormatVersion(version)
        }
        let plan: Plan
        do {
            plan = try JSONDecoder().decode(Plan.self, from: data)
        } catch {
            throw .malformed(DecodingError.describe(error))
        }
        // Read before the signature is checked (apply takes its key from it): only a variable a manifest could
        // name, and never echoed.
        if let variable = plan.organization?.apiKeyEnv, !OrganizationSection.isValidKeyVariable(variable) {
            throw .malformed("\"organization.api_key_env\" must be COGRAM_API_KEY or COGRAM_API_KEY_ followed by A-Z, 0-9 or '_'")
        }
        return plan
    }
}

// MARK: - Validation of a saved plan

/// Why a saved plan cannot be applied as it is.
public enum PlanValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    case wrongKind(found: String?)
    case unsupportedFormatVersion(String)
    case malformed(String)
    case expired(expiresAt: String)
    case apiURLMismatch(plan: String, current: String)
    case unsigned
    case badSignature(String)
    /// Parts of the plan that contradict one another or what it says it is (a hand-edited or forged file).
    case inconsistent([String])
    case implausibleDates(String)

    public var description: String {
        switch self {
        case .wrongKind(let found):
            // What the file says is not printed: nothing of an unverified plan reaches a log raw.
            "this file is not a cogramctl plan (\"kind\" is \(found == nil ? "missing" : "another value"), expected \"\(Plan.kind)\"); create one with `cogramctl plan --out FILE`"
        case .unsupportedFormatVersion(let v):
            "this plan has format_version \"\(escapeForTerminal(String(v.prefix(20))))\", but this cogramctl reads format_version \"\(Plan.formatVersion)\"; run `cogramctl plan --out FILE` again with this version"
        case .malformed(let detail):
            "the plan file is damaged: \(escapeForTerminal(detail)); run `cogramctl plan --out FILE` again"
        case .expired(let expiresAt):
            "the plan expired at \(expiresAt); run `cogramctl plan --out FILE` again"
        case .apiURLMismatch(let plan, let current):
            "the plan was made against \(escapeForTerminal(plan)) but this run talks to \(current); apply it against the same API or plan again"
        case .unsigned:
            "the plan file carries no signature, so it cannot be trusted; make it with `cogramctl plan --out FILE` (this version signs saved plans)"
        case .badSignature(let source):
            "the plan's signature does not match: the file was changed after it was made, or it was signed with another key, for example another organization's API key (this run checks it with a key derived from \(source); set the same COGRAM_PLAN_KEY for plan and apply when they use different API keys). Run `cogramctl plan --out FILE` again"
        case .inconsistent(let problems):
            "the plan file contradicts itself, so it was edited or damaged: \(problems.prefix(5).map(escapeForTerminal).joined(separator: "; "))\(problems.count > 5 ? "; and \(problems.count - 5) more" : ""). Run `cogramctl plan --out FILE` again"
        case .implausibleDates(let detail):
            "the plan's dates are not plausible: \(detail); run `cogramctl plan --out FILE` again"
        }
    }
}

extension Plan {
    /// Whether the plan's `expires_at` is at or before `now`. An unreadable `expires_at` counts as expired.
    public func isExpired(now: Date = Date()) -> Bool {
        guard let expires = parseTimestamp(expiresAt) else { return true }
        return expires <= now
    }

    /// The longest a saved plan may be valid for.
    public static let maximumValidity: TimeInterval = 7 * 24 * 3600

    /// Checks that a saved plan may be applied now against `apiURL`: plausible dates, not expired, same API,
    /// and consistent in itself (see `structuralProblems`).
    public func validateForApply(apiURL: String, now: Date = Date()) throws(PlanValidationError) {
        guard let created = parseTimestamp(createdAt), let expires = parseTimestamp(expiresAt) else {
            throw .implausibleDates("created_at \(quoted(createdAt)) or expires_at \(quoted(expiresAt)) is not an RFC 3339 instant")
        }
        // A minute of leeway for clocks that disagree between the plan job and the apply job.
        if created > now.addingTimeInterval(60) {
            throw .implausibleDates("created_at \(createdAt) is in the future")
        }
        if expires.timeIntervalSince(created) > Self.maximumValidity {
            throw .implausibleDates("it would stay valid from \(createdAt) to \(expiresAt), longer than the 7 days a plan may")
        }
        if isExpired(now: now) { throw .expired(expiresAt: expiresAt) }
        if normalizeURL(self.apiURL) != normalizeURL(apiURL) {
            throw .apiURLMismatch(plan: self.apiURL, current: apiURL)
        }
        let problems = structuralProblems()
        if !problems.isEmpty { throw .inconsistent(problems) }
    }
}

/// Trailing slashes and the case of scheme and host do not make a different API.
func normalizeURL(_ url: String) -> String {
    var s = url
    while s.hasSuffix("/") { s.removeLast() }
    guard let schemeEnd = s.range(of: "://") else { return s }
    let afterScheme = s[schemeEnd.upperBound...]
    let hostEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
    return s[..<hostEnd].lowercased() + s[hostEnd...]
}

// MARK: - Timestamps and digests

func formatTimestamp(_ date: Date) -> String {
    Instant(date: date).rfc3339()
}

func parseTimestamp(_ s: String) -> Date? {
    Instant(rfc3339: s)?.date
}

/// The `manifest_digest` of a set of loaded manifest files.
public enum ManifestDigest {
    /// `sha256:<hex>` over the files in load order; each contributes its path, a NUL, its byte count in
    /// decimal, a NUL and its bytes, so that moving bytes between files or renaming one changes the digest.
    public static func compute(files: [(path: String, data: Data)]) -> String {
        var hasher = SHA256()
        for file in files {
            hasher.update(data: Data(file.path.utf8))
            hasher.update(data: Data([0]))
            hasher.update(data: Data(String(file.data.count).utf8))
            hasher.update(data: Data([0]))
            hasher.update(data: file.data)
        }
        return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The digest and `manifest_files` of files read through the path arguments `roots`: each file is named by
    /// its path relative to the root it was found under (a directory argument, or a file argument's directory),
    /// so that `./m`, `m` and `/abs/m` agree; files are taken in that name's order.
    public static func fingerprint(files: [(path: String, data: Data)], roots: [String]) -> (digest: String, files: [String: String]) {
        let rootDirectories = roots.map { root -> String in
            let url = URL(fileURLWithPath: root).standardizedFileURL
            var isDirectory: ObjCBool = false
            let directory = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
            return directory ? url.path : url.deletingLastPathComponent().standardizedFileURL.path
        }
        func relative(_ path: String) -> String {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            let root = rootDirectories
                .filter { absolute.hasPrefix($0 == "/" ? $0 : $0 + "/") }
                .max { $0.count < $1.count }
            guard let root else { return absolute }
            return String(absolute.dropFirst(root == "/" ? 1 : root.count + 1))
        }
        let named = files.map { (path: relative($0.path), data: $0.data) }.sorted { $0.path < $1.path }
        var map: [String: String] = [:]
        for file in named {
            map[file.path] = "sha256:" + SHA256.hash(data: file.data).map { String(format: "%02x", $0) }.joined()
        }
        return (compute(files: named), map)
    }

    /// The files whose entry differs between two `manifest_files` (changed, added or gone), sorted.
    public static func changedFiles(_ old: [String: String], _ new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }
}
