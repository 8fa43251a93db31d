import Foundation

/// A way in which the sandbox departs from the contract, as a real Cogram organization might: each one is
/// plausible, and a client must either tolerate it or stop without writing anything wrong.
///
/// Off by default; `sandbox serve --dialect NAME[,NAME]` or `SandboxOptions.dialects` turns them on.
public enum SandboxDialect: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Lists answer `{"data": [...], "meta": {"page", "page_size", "total"}}` instead of `items`/`page`/….
    case dataEnvelope = "data-envelope"
    /// Every JSON object of every answer carries fields the contract does not name.
    case extraFields = "extra-fields"
    /// `external_id=` on `GET /v1/projects` and `email=` on `GET /v1/users` are ignored: the whole list comes.
    case ignoreFilters = "ignore-filters"
    /// `DELETE /v1/projects/{id}` (archive) answers 204 with no body instead of 200 with the project.
    case delete204 = "delete-204"
    /// `X-RateLimit-Reset` is a Unix time in seconds instead of seconds from now.
    case epochReset = "epoch-reset"
    /// `Retry-After` on 429 is an HTTP-date instead of a number of seconds.
    case retryAfterDate = "retry-after-date"
    /// Projects may share an external_id: POST and PATCH never answer 409 for one.
    case noUniqueExternalID = "no-unique-external-id"
    /// Some records carry enum values the contract does not list (see `SandboxStore.UnknownValue`).
    case unknownEnumValues = "unknown-enum-values"
    /// The first `POST /v1/projects` is committed, but its connection is closed before the answer.
    case loseFirstCreate = "lose-first-create"

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// What the dialect does, in one line (for `--help` and errors).
    public var summary: String {
        switch self {
        case .dataEnvelope: "lists as {\"data\": [...], \"meta\": {...}}"
        case .extraFields: "unknown fields in every JSON object"
        case .ignoreFilters: "external_id= and email= filters ignored"
        case .delete204: "archive DELETE answers 204 with no body"
        case .epochReset: "X-RateLimit-Reset as a Unix time"
        case .retryAfterDate: "Retry-After as an HTTP-date"
        case .noUniqueExternalID: "projects may share an external_id"
        case .unknownEnumValues: "roles and statuses the contract does not list, on some records"
        case .loseFirstCreate: "the first project create is committed but its answer lost"
        }
    }

    /// The names, comma-separated, for messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Parses `NAME[,NAME]…` (spaces around names allowed); an unknown or empty name is an error listing the
    /// valid ones.
    public static func parse(_ list: String) throws(SandboxError) -> Set<SandboxDialect> {
        var dialects: Set<SandboxDialect> = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let dialect = SandboxDialect(rawValue: name) else {
                let shown = name.isEmpty ? "an empty name" : "'\(name)'"
                throw .invalidArgument("unknown dialect \(shown); valid dialects: \(names)")
            }
            dialects.insert(dialect)
        }
        return dialects
    }
}
