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
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            self = .missing
            return
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        self = token.isEmpty ? .missing : .token(token)
    }
}
