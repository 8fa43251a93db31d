/// A persistent, targeted fault: every API request with `method` whose path matches `path` is answered `status`
/// without doing anything, however often it is retried, for as long as the sandbox runs.
///
/// Written `METHOD PATH=STATUS`, as `sandbox serve --fault-fail` takes it: `PUT /v1/projects/*/members/usr_1=503`.
/// In the path, `*` stands for exactly one segment; anything else is compared with the request's path as sent
/// (percent-encoded, without the query).
public struct FaultRule: Sendable, Hashable, CustomStringConvertible {
    /// An HTTP method of the API, upper case.
    public let method: String
    /// The path's segments after the leading `/`; `*` matches any one segment.
    public let segments: [String]
    /// 500 (`internal_error`) or 503 (`unavailable`), the answers of the other injected faults, or 409
    /// (`conflict`), the refusal an API may give where the contract allows the change (a member removed from an
    /// archived project), so that cogramctl's handling of it can be tried.
    public let status: Int

    public static let methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    public static let statuses = [409, 500, 503]

    /// A rule for `path`, which must start with `/v1/`.
    public init(method: String, path: String, status: Int) throws(SandboxError) {
        let example = "for example 'PUT /v1/projects/*/members/usr_1=503'"
        guard Self.methods.contains(method) else {
            throw .invalidArgument("fault rule method '\(method)' is not one of \(Self.methods.joined(separator: ", ")); \(example)")
        }
        guard path.hasPrefix("/v1/"), !path.contains("?") else {
            throw .invalidArgument("fault rule path '\(path)' must start with /v1/ and have no query; \(example)")
        }
        guard Self.statuses.contains(status) else {
            throw .invalidArgument("fault rule status \(status) must be 409, 500 or 503; \(example)")
        }
        self.method = method
        self.segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        self.status = status
    }

    /// Parses `METHOD PATH=STATUS` (the method in any case, spaces around the parts allowed).
    public init(parsing text: String) throws(SandboxError) {
        let shape = "a fault rule is METHOD PATH=STATUS, for example 'PUT /v1/projects/*/members/usr_1=503', not '\(text)'"
        guard let equals = text.lastIndex(of: "=") else { throw .invalidArgument(shape) }
        let request = text[..<equals].split(separator: " ", omittingEmptySubsequences: true)
        guard request.count == 2, let status = Int(text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)) else {
            throw .invalidArgument(shape)
        }
        try self.init(method: request[0].uppercased(), path: String(request[1]), status: status)
    }

    /// Whether a request with `method` to `path` (without the query) meets this fault.
    public func matches(method: String, path: String) -> Bool {
        guard method == self.method, path.hasPrefix("/") else { return false }
        let requested = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard requested.count == segments.count else { return false }
        return zip(requested, segments).allSatisfy { requested, pattern in
            pattern == "*" ? !requested.isEmpty : requested == pattern
        }
    }

    public var description: String { "\(method) /\(segments.joined(separator: "/"))=\(status)" }
}
