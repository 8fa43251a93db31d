import CogramAPI
import CogramManifest
import CogramSandbox
import Foundation

/// One finding of `cogramctl doctor`.
public struct DoctorCheck: Sendable, Encodable {
    public enum Status: String, Sendable, Encodable {
        case ok, warn, fail, skip
    }

    public var name: String
    public var status: Status
    /// One line of reason.
    public var detail: String
    /// Further lines (differences, one per line).
    public var lines: [String] = []
}

/// The checks of `cogramctl doctor`, in order; each reads, none writes.
public struct DoctorChecks: Sendable {
    public var configuration: ClientConfiguration
    /// Where the key came from ("from COGRAM_API_KEY"), shown when it is accepted.
    public var keySource: String?
    public var checks: [DoctorCheck] = []

    public init(configuration: ClientConfiguration) {
        self.configuration = configuration
    }

    /// A value that cannot be a real external_id or email, for the filter probes.
    static func improbable() -> String { "cogramctl-doctor-" + UUID().uuidString.lowercased().prefix(12) }

    public mutating func add(_ name: String, _ status: DoctorCheck.Status, _ detail: String, lines: [String] = []) {
        checks.append(DoctorCheck(name: name, status: status, detail: detail, lines: lines))
    }

    /// Runs everything after the configuration checks against `client`.
    public mutating func run(client: CogramClient) async {
        let first = await client.probe("/v1/projects", query: [("status", "all"), ("page", "1"), ("page_size", "5")])
        let answer: ProbeAnswer
        switch first {
        case .failure(let error):
            add("connection", .fail, Self.connectionVerdict(error))
            skipRest(after: "connection")
            return
        case .success(let a):
            answer = a
        }
        add("connection", .ok, "HTTP \(answer.status) from \(client.configuration.baseURL.absoluteString) in \(Self.milliseconds(answer.elapsed)) ms"
            + (client.configuration.proxy.map { " through the proxy \($0)" } ?? ""))
        guard answer.isJSON else {
            let type = answer.header("Content-Type") ?? "no content type"
            let excerpt = SafeText.clean(String(decoding: answer.body.prefix(60), as: UTF8.self)
                .split(whereSeparator: \.isNewline).joined(separator: " "), limit: 60)
            add("cogram-api", .fail, "not a Cogram API: GET /v1/projects answered HTTP \(answer.status) with \(type) (\u{201C}\(excerpt)\u{201D}), not JSON; check COGRAM_API_URL / --api-url")
            skipRest(after: "cogram-api")
            return
        }
        add("cogram-api", .ok, "answers JSON under /v1")
        guard authenticate(answer) else {
            skipRest(after: "authentication")
            return
        }
        await checkLists(client: client, projects: answer)
        await checkFilters(client: client)
        checkRateLimitHeaders(answer)
        await checkOpenAPI(client: client)
    }

    private mutating func skipRest(after name: String) {
        let all = ["connection", "cogram-api", "authentication", "projects", "users", "members", "filter external_id",
                   "filter email", "rate-limit headers", "openapi"]
        guard let index = all.firstIndex(of: name) else { return }
        for later in all[(index + 1)...] { add(later, .skip, "not checked: \(name) failed") }
    }

    // MARK: - Connection

    public static func connectionVerdict(_ error: CogramAPIError) -> String {
        switch error {
        case .transport(let t):
            switch t.kind {
            case .tls: return "TLS/CA problem: \(error)"
            case .proxy: return "proxy problem: \(error)"
            case .connectionFailed: return "not reachable: \(error)"
            case .connectionClosed, .other: return "no answer: \(error)"
            }
        case .timeout(let t):
            return t.phase == .connect ? "not reachable: \(error)" : "no answer: \(error)"
        case .invalidResponse, .api:
            return "\(error)"
        }
    }

    // MARK: - Authentication

    private mutating func authenticate(_ answer: ProbeAnswer) -> Bool {
        if (200..<300).contains(answer.status) {
            add("authentication", .ok, "the key is accepted" + (keySource.map { " (\($0))" } ?? ""))
            return true
        }
        let code = ((try? JSONDecoder().decode(ErrorEnvelope.self, from: answer.body))?.error.code).map { SafeText.clean($0, limit: 60) } ?? ""
        switch (answer.status, code) {
        case (401, "api_key_missing"):
            add("authentication", .fail, "key missing (HTTP 401 api_key_missing): Cogram received no key; set COGRAM_API_KEY or pass --api-key-file FILE")
        case (401, "api_key_expired"):
            add("authentication", .fail, "key expired (HTTP 401 api_key_expired): create a new key in Settings > Administration > Integrations > API Keys")
        case (401, _):
            add("authentication", .fail, "key invalid (HTTP 401 \(code.isEmpty ? "without a code" : code)): unknown or revoked, or for another organization or API URL")
        case (300..<400, _):
            add("authentication", .fail, "HTTP \(answer.status) redirecting to \(ClientConfiguration.redactedURL(answer.header("Location") ?? "nowhere")); set the API URL to where the API answers")
        default:
            add("authentication", .fail, "GET /v1/projects answered HTTP \(answer.status) \(code)")
        }
        return false
    }

    // MARK: - Lists

    private mutating func checkLists(client: CogramClient, projects: ProbeAnswer) async {
        let projectID = listShape("projects", Project.self, answer: projects, client: client)
        switch await client.probe("/v1/users", query: [("page", "1"), ("page_size", "5")]) {
        case .success(let answer): _ = listShape("users", User.self, answer: answer, client: client)
        case .failure(let error): add("users", .fail, "\(error)")
        }
        guard let projectID else {
            add("members", .skip, "no project to read the members of")
            return
        }
        let path = "/v1/projects/\(CogramClient.percentEncoded(projectID))/members"
        switch await client.probe(path, query: [("page", "1"), ("page_size", "5")]) {
        case .success(let answer): _ = listShape("members", Member.self, answer: answer, client: client)
        case .failure(let error): add("members", .fail, "\(error)")
        }
    }

    /// Compares one list answer with the contract's page; returns the first item's id (for the member read).
    private mutating func listShape<Item: ListItem>(
        _ name: String, _ type: Item.Type, answer: ProbeAnswer, client: CogramClient
    ) -> String? {
        guard (200..<300).contains(answer.status) else {
            add(name, .fail, "HTTP \(answer.status)")
            return nil
        }
        let differences = Self.pageDifferences(answer.body, itemKeys: Self.contractKeys[name] ?? [])
        if let problem = client.shapeProblem(ListPage<Item>.self, in: answer.body) {
            let request = CogramAPIError.invalidResponse(.init(method: "GET", url: name, status: answer.status, problem: problem))
            add(name, .fail, "an answer cogramctl cannot read: \(Self.problemText(request))", lines: differences)
            return nil
        }
        let page = try? JSONDecoder().decode(ListPage<Item>.self, from: answer.body)
        let count = page?.items.count ?? 0
        if differences.isEmpty {
            add(name, .ok, "the contract's shape (\(count) item\(count == 1 ? "" : "s") read)")
        } else {
            add(name, .warn, "differs from the contract; cogramctl tolerates it", lines: differences)
        }
        return page?.items.first?.listIdentity
    }

    static let contractKeys: [String: Set<String>] = [
        "projects": ["id", "name", "description", "external_id", "status", "created_at", "updated_at"],
        "users": ["id", "email", "name", "role", "external_id", "status"],
        "members": ["user_id", "email", "name", "role", "added_at"],
    ]

    static let knownValues: [String: Set<String>] = [
        "status": ["active", "archived", "deactivated"],
        "role": ["owner", "editor", "viewer", "admin", "member", "guest"],
    ]

    /// What a page's JSON does differently from `{"items", "page", "page_size", "total"}`, one line each.
    static func pageDifferences(_ body: Data, itemKeys: Set<String>) -> [String] {
        guard let object = JSONValue(json: body)?.objectValue else { return [] }
        var lines: [String] = []
        let listKey = ListPage<Project>.itemKeys.first { object[$0] != nil }
        if let listKey, listKey != "items" { lines.append("the list is under \u{201C}\(listKey)\u{201D}, not \u{201C}items\u{201D}") }
        if object["total"] == nil {
            let elsewhere = ["total_count"].first { object[$0] != nil }
                ?? ["pagination", "meta"].first { object[$0]?["total"] != nil || object[$0]?["total_count"] != nil }
            lines.append(elsewhere.map { "the total is under \u{201C}\($0)\u{201D}" }
                ?? (object["has_more"] != nil || object["next"] != nil ? "no total; has_more/next instead" : "no total"))
        }
        let extra = Set(object.keys).subtracting(["items", "page", "page_size", "total"] + (listKey.map { [$0] } ?? []))
        if !extra.isEmpty { lines.append("extra page fields: \(extra.sorted().map { SafeText.clean($0, limit: 40) }.joined(separator: ", "))") }
        // Like a cast to a list of objects: one item that is not an object and none are looked at.
        let elements = listKey.flatMap { object[$0]?.arrayValue } ?? []
        let objects = elements.compactMap(\.objectValue)
        let items = objects.count == elements.count ? objects : []
        let itemExtra = Set(items.flatMap(\.keys)).subtracting(itemKeys)
        if !itemExtra.isEmpty, !itemKeys.isEmpty {
            lines.append("extra item fields (ignored): \(itemExtra.sorted().prefix(10).map { SafeText.clean($0, limit: 40) }.joined(separator: ", "))")
        }
        for (field, known) in knownValues.sorted(by: { $0.key < $1.key }) {
            let unknown = Set(items.compactMap { $0[field]?.stringValue }).subtracting(known)
            if !unknown.isEmpty {
                lines.append("unknown \(field) values: \(unknown.sorted().map { SafeText.clean($0, limit: 40) }.joined(separator: ", "))")
            }
        }
        return lines
    }

    static func problemText(_ error: CogramAPIError) -> String {
        guard case .invalidResponse(let r) = error else { return "\(error)" }
        switch r.problem {
        case .shape(let at, let expected, let found): return "at \(at) expected \(expected), found \(found)"
        default: return "\(error)"
        }
    }

    // MARK: - Filters

    private mutating func checkFilters(client: CogramClient) async {
        let externalID = Self.improbable()
        switch await client.probe("/v1/projects", query: [("status", "all"), ("external_id", externalID), ("page", "1"), ("page_size", "5")]) {
        case .success(let answer):
            filterVerdict("filter external_id", answer, what: "an external_id no project has")
        case .failure(let error):
            add("filter external_id", .fail, "\(error)")
        }
        let email = Self.improbable() + "@example.invalid"
        switch await client.probe("/v1/users", query: [("email", email), ("page", "1"), ("page_size", "5")]) {
        case .success(let answer):
            filterVerdict("filter email", answer, what: "an email no user has")
        case .failure(let error):
            add("filter email", .fail, "\(error)")
        }
    }

    private mutating func filterVerdict(_ name: String, _ answer: ProbeAnswer, what: String) {
        guard (200..<300).contains(answer.status), let page = try? JSONDecoder().decode(ListPage<Opaque>.self, from: answer.body) else {
            add(name, .warn, "HTTP \(answer.status) for \(what); cogramctl checks every filtered read on its side")
            return
        }
        if page.items.isEmpty {
            add(name, .ok, "honoured (\(what): no results)")
        } else {
            add(name, .warn, "ignored: \(what) still gave \(page.items.count) result\(page.items.count == 1 ? "" : "s"); cogramctl checks every filtered read on its side, so this is safe but slower")
        }
    }

    /// Any list item; only counted.
    struct Opaque: ListItem {
        var listIdentity: String { "" }
        init(from decoder: any Decoder) throws {}
    }

    // MARK: - Rate limit

    private mutating func checkRateLimitHeaders(_ answer: ProbeAnswer) {
        let limit = answer.header("X-RateLimit-Limit")
        let remaining = answer.header("X-RateLimit-Remaining")
        guard let resetText = answer.header("X-RateLimit-Reset") else {
            add("rate-limit headers", .warn, "no X-RateLimit-Reset\(limit == nil ? " or X-RateLimit-Limit" : ""); cogramctl paces itself below --rate-limit (default 1000/min) without them")
            return
        }
        let shown = "limit \(limit.map { SafeText.clean($0, limit: 20) } ?? "absent"), remaining \(remaining.map { SafeText.clean($0, limit: 20) } ?? "absent"), reset \(SafeText.clean(resetText, limit: 30))"
        guard let reset = RateLimitHeaders.reset(resetText) else {
            add("rate-limit headers", .warn, "\(shown): the reset is not a number; cogramctl ignores it")
            return
        }
        if reset.format == .seconds {
            add("rate-limit headers", .ok, "\(shown) (seconds until the reset, as the contract says)")
        } else {
            add("rate-limit headers", .warn, "\(shown): the reset is a \(reset.format.rawValue), not seconds; cogramctl reads it so and waits at most \(Int(RateLimitHeaders.maxResetWait)) s")
        }
    }

    // MARK: - OpenAPI

    private mutating func checkOpenAPI(client: CogramClient) async {
        var live: JSONValue?
        var source = ""
        var refusals: [String] = []
        for path in ["/v1/openapi.json", "/v1/openapi.yaml"] {
            guard case .success(let answer) = await client.probe(path), (200..<300).contains(answer.status) else { continue }
            switch Self.parseOpenAPI(answer.body, path: path) {
            case .success(let value):
                live = value
                source = path
            case .failure(let refusal):
                refusals.append(refusal.description)
                continue
            }
            break
        }
        guard let live else {
            if let refusal = refusals.first {
                add("openapi", .warn, "\(refusal); nothing to compare", lines: Array(refusals.dropFirst()))
            } else {
                add("openapi", .warn, "no OpenAPI document at /v1/openapi.json or /v1/openapi.yaml; nothing to compare")
            }
            return
        }
        guard let data = ContractDocument.openAPIYAML, case .success(let ours) = Self.parseOpenAPI(data, path: "cogram-api.v1.openapi.yaml") else {
            add("openapi", .skip, "cogramctl's own contract document is missing from this installation")
            return
        }
        let (checked, differences) = OpenAPIComparison.compare(ours: ours, live: live)
        if differences.isEmpty {
            add("openapi", .ok, "\(source): all \(checked) places marked x-cogramctl-assumption match")
        } else {
            add("openapi", .warn, "\(source): \(differences.count) difference\(differences.count == 1 ? "" : "s") in the \(checked) places marked x-cogramctl-assumption",
                lines: differences)
        }
    }

    /// Why an OpenAPI document was not read: the first error the YAML composer reported, or its size.
    public struct OpenAPIRefusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// An OpenAPI document (JSON, which is YAML, or YAML) as a `JSONValue`, read by the manifests' YAML composer
    /// under the manifests' limits: a document of nested aliases is refused, not expanded.
    public static func parseOpenAPI(_ data: Data, path: String, limits: LoaderLimits = .default) -> Result<JSONValue, OpenAPIRefusal> {
        guard data.count <= limits.maxFileBytes else {
            return .failure(OpenAPIRefusal(description: "\(path) is \(data.count) bytes, more than the \(limits.maxFileBytes) cogramctl reads"))
        }
        let (document, diagnostics) = YAMLComposer.compose(SourceFile(path: path, bytes: [UInt8](data)), limits: limits)
        guard let document, !diagnostics.hasErrors else {
            let first = diagnostics.first { $0.severity == .error }.map { SafeText.clean($0.description, limit: 300) } ?? "\(path) does not parse"
            return .failure(OpenAPIRefusal(description: "cannot read \(first)"))
        }
        return .success(document.fold(
            scalar: { scalar in
                switch scalar {
                case .null: .null
                case .bool(let flag): .bool(flag)
                case .number(let number): .number(number)
                case .string(let text): .string(text)
                }
            },
            sequence: { JSONValue.array($0) },
            mapping: { pairs in JSONValue.object(Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })) }))
    }

    static func milliseconds(_ d: Duration) -> Int {
        let c = d.components
        return Int(c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)
    }
}

/// Compares the places of cogramctl's contract marked `x-cogramctl-assumption` with a live OpenAPI document.
public enum OpenAPIComparison {
    /// A scalar as text, so that `5`, `"5"` and `5.0` compare alike whichever format wrote them.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .number(let number): JSONValue.numberText(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .array, .object: nil
        }
    }

    /// How many marked places were checked, and the differences, one line each.
    public static func compare(ours: JSONValue, live: JSONValue) -> (checked: Int, differences: [String]) {
        var checked = 0
        var lines: [String] = []
        func walk(_ node: JSONValue, _ pointer: [String]) {
            switch node {
            case .object(let dict):
                if dict["x-cogramctl-assumption"].flatMap(text)?.lowercased() == "true" {
                    checked += 1
                    lines += differences(dict, value(in: live, at: pointer), render(pointer))
                }
                for (key, child) in dict.sorted(by: { $0.key < $1.key }) { walk(child, pointer + [key]) }
            case .array(let array):
                for (index, child) in array.enumerated() { walk(child, pointer + [elementKey(child, index)]) }
            default:
                break
            }
        }
        walk(ours, [])
        return (checked, lines)
    }

    /// Array elements are matched by `name` (parameters) where they have one, else by position.
    static func elementKey(_ element: JSONValue, _ index: Int) -> String {
        if let name = element["name"].flatMap(text) { return "name=" + name }
        return String(index)
    }

    static func value(in root: JSONValue, at pointer: [String]) -> JSONValue? {
        var current: JSONValue? = root
        for key in pointer {
            switch current {
            case .object(let dict):
                current = dict[key]
            case .array(let array):
                if key.hasPrefix("name=") {
                    let name = String(key.dropFirst(5))
                    current = array.first { $0["name"].flatMap(text) == name }
                } else if let index = Int(key), array.indices.contains(index) {
                    current = array[index]
                } else {
                    return nil
                }
            default:
                return nil
            }
        }
        return current
    }

    static func render(_ pointer: [String]) -> String {
        "#/" + pointer.map { $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined(separator: "/")
    }

    static func differences(_ ours: [String: JSONValue], _ theirs: JSONValue?, _ at: String) -> [String] {
        guard let theirs = theirs?.objectValue else { return ["\(at): not in the live document"] }
        var lines: [String] = []
        for key in ["type", "in", "format", "$ref"] {
            if let mine = ours[key].flatMap(text), let other = theirs[key].flatMap(text), mine != other {
                lines.append("\(at): \(key) is \(clean(other)) there, \(mine) here")
            }
        }
        for key in ["enum", "required"] {
            guard let mine = ours[key]?.arrayValue else { continue }
            let a = Set(mine.map(describe))
            let b = Set((theirs[key]?.arrayValue ?? []).map(describe))
            if a != b {
                lines.append("\(at): \(key) is [\(b.sorted().map(clean).joined(separator: ", "))] there, [\(a.sorted().joined(separator: ", "))] here")
            }
        }
        for key in ["properties", "responses"] {
            guard let mine = ours[key]?.objectValue else { continue }
            let other = Set((theirs[key]?.objectValue ?? [:]).keys)
            let missing = Set(mine.keys).subtracting(other).sorted()
            let extra = other.subtracting(mine.keys).sorted()
            if !missing.isEmpty { lines.append("\(at): \(key) missing there: \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { lines.append("\(at): \(key) only there: \(extra.map(clean).joined(separator: ", "))") }
        }
        for key in ["schema", "items"] {
            if let mine = ours[key]?.objectValue {
                lines += differences(mine, theirs[key], at + "/" + key)
            }
        }
        return lines
    }

    /// An element of `enum` or `required` as text; a list or an object by its JSON.
    private static func describe(_ value: JSONValue) -> String {
        text(value) ?? (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    private static func clean(_ text: String) -> String { SafeText.clean(text, limit: 60) }
}

// MARK: - Reports

extension DoctorChecks {
    public var failedCount: Int { checks.filter { $0.status == .fail }.count }
    public var warningCount: Int { checks.filter { $0.status == .warn }.count }

    /// The human report: one line per check (status, name, reason), its further lines below it, and the counts.
    public func humanReport(apiURL: String) -> String {
        // Details and lines quote the server (versions, headers, the OpenAPI document): under the terminal rule.
        var text = "cogramctl doctor: \(OutputEscaping.terminal(ClientConfiguration.redactedURL(apiURL)))\n"
        let width = (checks.map(\.name.count).max() ?? 0) + 2
        for check in checks {
            let label = check.status.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
            text += "\(label)\(check.name.padding(toLength: width, withPad: " ", startingAt: 0))\(OutputEscaping.terminal(check.detail))\n"
            for line in check.lines { text += String(repeating: " ", count: 6 + width) + "- \(OutputEscaping.terminal(line))\n" }
        }
        let warned = warningCount
        text += "\(failedCount) failed, \(warned) warning\(warned == 1 ? "" : "s").\n"
        return text
    }

    /// The JSON report (`--format json`): the API URL, every check, and the counts.
    public func jsonReport(apiURL: String) throws -> Data {
        struct Document: Encodable {
            var apiURL: String
            var checks: [DoctorCheck]
            var failed: Int
            var warnings: Int
            enum CodingKeys: String, CodingKey {
                case checks, failed, warnings
                case apiURL = "api_url"
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Document(
            apiURL: ClientConfiguration.redactedURL(apiURL), checks: checks, failed: failedCount, warnings: warningCount))
    }
}
