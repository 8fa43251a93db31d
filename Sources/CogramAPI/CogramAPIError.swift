/// A failed call to the Cogram API. Every message says what happened and what to do; none contains the API key.
///
/// Callers branch on `status` and `code` (`error.status == 404`, `error.code == "conflict"`); `code` stays a raw
/// string because the contract says the list of codes is not exhaustive.
public enum CogramAPIError: Error, CustomStringConvertible, Sendable {
    /// Cogram answered with a non-2xx status (after any retries).
    case api(Failure)
    /// No answer: connection refused or reset, DNS failure, TLS failure.
    case transport(Transport)
    /// No answer within the connect or read timeout (after any retries).
    case timeout(Timeout)
    /// A 2xx answer that is not the JSON the contract describes, or a body above the size limit.
    case invalidResponse(InvalidResponse)

    // MARK: - Payloads

    /// An error answer: `{"error": {"code", "message", "details"}}`.
    public struct Failure: Sendable, Hashable {
        /// The HTTP method and path (with query) of the request.
        public var method: String
        public var path: String
        public var status: Int
        /// The contract's error code (`not_found`, …); empty when the body was not the error envelope.
        public var code: String
        public var message: String
        public var details: [ErrorEnvelope.FieldDetail]
        /// Requests sent for this call, retries included.
        public var attempts: Int
        /// `Retry-After` of a final 429, in seconds.
        public var retryAfterSeconds: Int?

        public init(
            method: String, path: String, status: Int, code: String, message: String,
            details: [ErrorEnvelope.FieldDetail] = [], attempts: Int = 1, retryAfterSeconds: Int? = nil
        ) {
            self.method = method
            self.path = path
            self.status = status
            self.code = code
            self.message = message
            self.details = details
            self.attempts = attempts
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    public struct Transport: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            /// The server refused the connection or could not be reached.
            case connectionFailed
            /// The connection closed before a complete answer.
            case connectionClosed
            /// Anything else below HTTP (TLS, DNS, protocol errors).
            case other
        }

        public var method: String
        public var url: String
        public var kind: Kind
        /// The underlying error, as text.
        public var reason: String
        public var attempts: Int

        public init(method: String, url: String, kind: Kind, reason: String, attempts: Int) {
            self.method = method
            self.url = url
            self.kind = kind
            self.reason = reason
            self.attempts = attempts
        }
    }

    public struct Timeout: Sendable, Hashable {
        public enum Phase: String, Sendable, Hashable {
            case connect
            case read
        }

        public var method: String
        public var url: String
        public var phase: Phase
        public var seconds: Double
        public var attempts: Int

        public init(method: String, url: String, phase: Phase, seconds: Double, attempts: Int) {
            self.method = method
            self.url = url
            self.phase = phase
            self.seconds = seconds
            self.attempts = attempts
        }
    }

    public struct InvalidResponse: Sendable, Hashable {
        public var method: String
        public var path: String
        public var status: Int
        public var reason: String

        public init(method: String, path: String, status: Int, reason: String) {
            self.method = method
            self.path = path
            self.status = status
            self.reason = reason
        }
    }

    // MARK: - Branching helpers

    /// The HTTP status of an error answer.
    public var status: Int? {
        if case .api(let f) = self { return f.status }
        return nil
    }

    /// The error code of an error answer (raw, possibly unknown to this version).
    public var code: String? {
        if case .api(let f) = self { return f.code }
        return nil
    }

    /// The server's message of an error answer.
    public var message: String? {
        if case .api(let f) = self { return f.message }
        return nil
    }

    /// The per-field details of an error answer (for `validation_error`).
    public var details: [ErrorEnvelope.FieldDetail] {
        if case .api(let f) = self { return f.details }
        return []
    }

    public var isNotFound: Bool { status == 404 }

    // MARK: - Messages

    public var description: String {
        switch self {
        case .api(let f): return Self.describe(f)
        case .transport(let t): return Self.describe(t)
        case .timeout(let t): return Self.describe(t)
        case .invalidResponse(let r):
            return "\(r.method) \(r.path) returned HTTP \(r.status) with a body that is not the JSON the Cogram API v1 "
                + "contract describes (\(r.reason)); check that the API URL points at the Cogram API"
        }
    }

    private static func describe(_ f: Failure) -> String {
        let request = "\(f.method) \(f.path)"
        let label = f.code.isEmpty ? "HTTP \(f.status)" : "HTTP \(f.status) \(f.code)"
        let said = f.message.isEmpty ? "" : ": \(f.message)"
        let tries = f.attempts > 1 ? " after \(f.attempts) attempts" : ""
        switch (f.status, f.code) {
        case (401, "api_key_missing"):
            return "Cogram received no API key (\(label))\(said); set COGRAM_API_KEY or pass --api-key-file FILE"
        case (401, "api_key_expired"):
            return "the Cogram API key has expired (\(label))\(said); create a new key in "
                + "Settings > Administration > Integrations > API Keys and set it in COGRAM_API_KEY or --api-key-file"
        case (401, _):
            return "Cogram rejected the API key (\(label))\(said); check COGRAM_API_KEY / --api-key-file and that "
                + "the key belongs to this organization and API URL; the key may have been revoked"
        case (404, _):
            return "not found: \(request) (\(label))\(said); it may have been archived or deleted outside "
                + "cogramctl, or the id is wrong; run plan again to see the current state"
        case (409, _):
            return "conflict: \(request) (\(label))\(said); another object already uses this value or the object "
                + "changed meanwhile; run plan again to see the current state"
        case (422, _):
            var text = "Cogram rejected the request body of \(request) (\(label))\(said); fix the value in the "
                + "manifest, or report a cogramctl bug if the manifest is valid"
            for d in f.details { text += "\n  - \(d.field): \(d.message)" }
            return text
        case (429, _):
            let wait = f.retryAfterSeconds.map { " (server asked to wait \($0) s)" } ?? ""
            return "rate limit exceeded on \(request) (\(label))\(tries)\(wait)\(said); another client may be using "
                + "the same key; wait a minute and run again"
        case (400, _), (405, _):
            return "Cogram refused \(request) as malformed (\(label))\(said); this is probably a cogramctl bug, "
                + "please report it"
        case (413, _):
            return "Cogram refused \(request) as too large (\(label))\(said); shorten the values sent"
        case (500...599, _):
            return "Cogram failed on \(request) (\(label))\(tries)\(said); the service may be degraded, try again "
                + "later and contact Cogram support if it persists"
        default:
            return "\(request) failed (\(label))\(tries)\(said)"
        }
    }

    private static func describe(_ t: Transport) -> String {
        let tries = t.attempts > 1 ? " after \(t.attempts) attempts" : ""
        switch t.kind {
        case .connectionFailed:
            return "could not connect to \(t.url) (\(t.method))\(tries): \(t.reason); is the API URL right "
                + "(COGRAM_API_URL / --api-url)? is the sandbox running?"
        case .connectionClosed:
            return "the connection closed before Cogram answered \(t.method) \(t.url)\(tries): \(t.reason); "
                + "check the network or proxy and try again"
        case .other:
            return "\(t.method) \(t.url) failed\(tries): \(t.reason); check the API URL, the network and any proxy"
        }
    }

    private static func describe(_ t: Timeout) -> String {
        let tries = t.attempts > 1 ? " after \(t.attempts) attempts" : ""
        let limit = formatSeconds(t.seconds)
        switch t.phase {
        case .connect:
            return "timed out connecting to \(t.url) (\(t.method), \(limit) connect timeout)\(tries); is the API URL "
                + "right (COGRAM_API_URL / --api-url)? is the network up?"
        case .read:
            return "\(t.method) \(t.url) got no answer within \(limit)\(tries); Cogram or the network is slow, "
                + "try again later"
        }
    }

    private static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\((s * 10).rounded() / 10) s"
    }
}
