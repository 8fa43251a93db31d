import Foundation

/// A failed call to the Cogram API. Every message says what happened and what to do; none contains the API key.
///
/// Callers branch on `status` and `code` (`error.status == 404`, `error.code == "conflict"`); `code` stays a raw
/// string because the contract says the list of codes is not exhaustive.
public enum CogramAPIError: Error, CustomStringConvertible, Sendable, EscapedErrorDescription {
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
        /// The full URL of the request (never holds the key), shown in messages; nil: the path is shown.
        public var url: String?
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
            details: [ErrorEnvelope.FieldDetail] = [], attempts: Int = 1, retryAfterSeconds: Int? = nil, url: String? = nil
        ) {
            self.method = method
            self.path = path
            self.url = url
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
            /// The TLS handshake failed (`reason` says why, in words).
            case tls
            /// The proxy failed (`reason` says how).
            case proxy
            /// Anything else below HTTP (DNS, protocol errors).
            case other
        }

        /// What was wrong with a certificate the client refused; it decides the advice.
        public enum CertificateProblem: String, Sendable, Hashable {
            /// Issued by a certificate authority this machine does not trust (or the cause is not known).
            case untrusted
            /// Past its validity.
            case expired
            /// Before its validity.
            case notYetValid
            /// Issued for other names than the host's.
            case nameMismatch
        }

        public var method: String
        public var url: String
        public var kind: Kind
        /// The underlying error, as text.
        public var reason: String
        public var attempts: Int
        /// The proxy the request went through, as shown (`http://***@proxy:3128`), with its source.
        public var proxy: String? = nil
        /// For `.tls`, when the server's certificate was refused: why.
        public var certificate: CertificateProblem? = nil
    }

    public struct Timeout: Sendable, Hashable {
        public enum Phase: String, Sendable, Hashable {
            case connect
            case read
            /// The whole command's `--deadline` passed.
            case deadline
        }

        public var method: String
        public var url: String
        public var phase: Phase
        public var seconds: Double
        public var attempts: Int
    }

    /// A 2xx answer cogramctl cannot use.
    public struct InvalidResponse: Sendable, Hashable {
        public enum Problem: Sendable, Hashable {
            /// JSON, but not in a shape cogramctl understands: `at` is the path in the body (`items[3].status`).
            case shape(at: String, expected: String, found: String)
            /// Not JSON at all (an HTML page, say): the URL probably does not point at the Cogram API.
            case notJSON(excerpt: String)
            /// Larger than `maxResponseBytes`.
            case tooLarge(limit: Int)
            /// A listing whose distinct items do not add up to the total the server reported, twice in a row.
            case inconsistentList(distinct: Int, total: Int)
            /// A listing that would not end within `Paging.maxPages` pages, or whose pages stopped bringing it
            /// closer to its end; the text says which.
            case unboundedList(String)
            /// An answer without a body whose effect a read did not confirm.
            case unconfirmed(String)
            /// A redirect cogramctl does not follow (other than 307/308 to the same origin).
            case redirect(location: String)
            /// Several projects carry one external_id.
            case duplicateExternalID(String, ids: [String])
        }

        /// The HTTP method and the full URL of the request (URLs never carry the key).
        public var method: String
        public var url: String
        public var status: Int
        public var problem: Problem

        public init(method: String, url: String, status: Int, problem: Problem) {
            self.method = method
            self.url = url
            self.status = status
            self.problem = problem
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

    /// Under the terminal rule: the lines of an error answer's details are the message's own (every value a
    /// server sent is cleaned by `SafeText`, its line breaks included), the other messages are one line.
    public var description: String {
        switch self {
        case .api(let f): TerminalMessage(lines: Self.describe(f)).text
        case .transport(let t): OutputEscaping.terminal(Self.describe(t))
        case .timeout(let t): OutputEscaping.terminal(Self.describe(t))
        case .invalidResponse(let r): OutputEscaping.terminal(Self.describe(r))
        }
    }

    private static func describe(_ f: Failure) -> String {
        let request = "\(f.method) \(f.url ?? f.path)"
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
        case .tls:
            let host = URL(string: t.url)?.host ?? t.url
            let sentence = "could not make a secure connection to \(host) for \(t.method) \(t.url): \(t.reason); "
            switch t.certificate {
            case .expired, .notYetValid:
                // Trusting another CA changes nothing about dates: only a new certificate or a right clock does.
                return sentence + "the server needs a certificate valid today, or this machine's clock needs "
                    + "correcting (--ca-bundle does not help with dates)"
            case .untrusted, .nameMismatch, nil:
                return sentence + "if your network inspects TLS with its own certificate authority, pass its CA "
                    + "certificate with --ca-bundle FILE (or SSL_CERT_FILE), and run `cogramctl doctor`"
            }
        case .proxy:
            return "\(t.method) \(t.url) failed at the proxy \(t.proxy ?? "")\(tries): \(t.reason); check --proxy, "
                + "HTTPS_PROXY / HTTP_PROXY and NO_PROXY, and run `cogramctl doctor`"
        case .other:
            return "\(t.method) \(t.url) failed\(tries): \(t.reason); check the API URL, the network and any proxy"
        }
    }

    private static func describe(_ r: InvalidResponse) -> String {
        let request = "\(r.method) \(r.url)"
        switch r.problem {
        case .shape(let at, let expected, let found):
            return "\(request) answered HTTP \(r.status) in a shape cogramctl does not understand: at \(at) it expected "
                + "\(expected) but found \(found); run `cogramctl doctor` to compare this server's answers with what "
                + "cogramctl expects"
        case .notJSON(let excerpt):
            let start = excerpt.isEmpty ? "an empty body" : "a body starting \u{201C}\(excerpt)\u{201D}"
            return "\(request) answered HTTP \(r.status) with \(start), which is not JSON: the API URL may point at a web "
                + "page or a proxy rather than the Cogram API; check COGRAM_API_URL / --api-url and run `cogramctl doctor`"
        case .tooLarge(let limit):
            return "\(request) answered HTTP \(r.status) with a body larger than the limit of \(limit) bytes; "
                + "run `cogramctl doctor` to see what this server answers"
        case .inconsistentList(let distinct, let total):
            return "listing \(request) gave \(distinct) distinct items but the server reported a total of \(total), "
                + "twice in a row; the server may not page as cogramctl expects (page, page_size), or the list changed "
                + "while it was read; run `cogramctl doctor`, then try again"
        case .unboundedList(let why):
            return "listing \(request) would not end: \(why); cogramctl stops there rather than read forever (at most "
                + "\(Paging.maxPages) pages per list, and at most twice the pages the reported total needs); run "
                + "`cogramctl doctor`, and report this server's paging if it persists"
        case .redirect(let location):
            return "\(request) answered HTTP \(r.status), redirecting to \(location.isEmpty ? "no Location" : location); "
                + "cogramctl follows only 307 and 308 within the same origin, so that the API key goes nowhere else: "
                + "set COGRAM_API_URL / --api-url to the address the API really answers at, and run `cogramctl doctor`"
        case .duplicateExternalID(let externalID, let ids):
            return "\(ids.count) projects carry the external_id \u{201C}\(externalID)\u{201D} (\(ids.joined(separator: ", "))), read "
                + "through \(request); cogramctl does not guess which one is meant: give all but one another external_id "
                + "in Cogram, then run plan again"
        case .unconfirmed(let what):
            return "\(request) answered HTTP \(r.status) without a body, and reading it back \(what); run plan again "
                + "to see the current state, and `cogramctl doctor` to check the server"
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
        case .deadline:
            guard t.attempts > 0 else {
                return "the deadline (--deadline) passed before \(t.method) \(t.url) could be sent; nothing more is started"
            }
            // Sent but not (successfully) answered: a write may have been made, and the message must not say
            // it was not.
            let sent = t.attempts == 1 ? "sent once" : "sent \(t.attempts) times"
            let effect = t.method == "GET" ? "" : "; Cogram may or may not have made this change (the next plan shows which)"
            return "the deadline (--deadline) passed before \(t.method) \(t.url) succeeded (\(sent))\(effect); nothing more is started"
        }
    }

    private static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\((s * 10).rounded() / 10) s"
    }
}
