import Foundation
import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage, the connection (which fault injection may close), and what
/// the pipeline's steps have learnt about the request so far, each filled in by one step.
struct SandboxContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The `Authorization` header as the key step read it.
    var credential: Credential = .missing
    /// The key step's verdict on the presented key; nil without one.
    var keyCheck: KeyCheck?
    /// What fault injection decided for this request.
    var fault: FaultDecision = .none
    /// The matched route, once routing has run.
    var route: Route?
    /// The query parameters (the first occurrence of a name wins), read by routing.
    var query: Operations.Query = [:]
    /// The dialects in effect for this request's operation.
    var dialects: Set<SandboxDialect> = []
    /// The caller, once authentication has run.
    var identity: KeyIdentity?
    /// The request body, once read.
    var body = Data()

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// The bearer token of a request, if it sent one.
enum Credential: Sendable, Hashable {
    case missing
    case token(String)

    init(authorization header: String?) {
        guard let header else {
            self = .missing
            return
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, Self.isBearer(parts[0]) else {
            self = .missing
            return
        }
        let token = Self.trimmed(parts[1])
        self = token.isEmpty ? .missing : .token(token)
    }

    /// `bearer` in any case, as `lowercased() == "bearer"` would say, without building a string per request.
    private static func isBearer(_ scheme: Substring) -> Bool {
        let bearer = "bearer".utf8
        guard scheme.utf8.count == bearer.count else {
            // Only non-ASCII text can lower-case to "bearer" from another length (for example the Kelvin sign).
            return !scheme.utf8.allSatisfy { $0 < 0x80 } && scheme.lowercased() == "bearer"
        }
        guard scheme.utf8.allSatisfy({ $0 < 0x80 }) else { return scheme.lowercased() == "bearer" }
        return zip(scheme.utf8, bearer).allSatisfy { $0 | 0x20 == $1 }
    }

    /// The token without surrounding `.whitespaces`; Foundation's trimming only when an end may need it.
    private static func trimmed(_ token: Substring) -> String {
        guard let first = token.utf8.first, let last = token.utf8.last,
            first > 0x20, first < 0x80, last > 0x20, last < 0x80
        else { return token.trimmingCharacters(in: .whitespaces) }
        return String(token)
    }
}
