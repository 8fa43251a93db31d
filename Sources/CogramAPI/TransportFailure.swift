import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
#if canImport(Network)
import Network
#endif

/// A request that got no complete HTTP answer, sorted by what it means for a retry.
struct TransportFailure: Sendable {
    enum Kind: Sendable, Equatable {
        /// The connection could not be established: the request never left, a retry is always safe.
        case connect
        /// The connect timeout passed: the request never left either.
        case connectTimeout
        /// No (complete) answer in time: the server may have acted on the request.
        case readTimeout
        /// The connection closed before a complete answer: the server may have acted on the request.
        case closed
        /// The TLS handshake failed; `certificate` when the server's certificate was refused.
        case tls(certificate: Bool)
        /// The proxy refused, failed or asked for credentials.
        case proxy
        /// DNS or protocol errors: retrying will not help.
        case other
    }

    var kind: Kind
    var reason: String
    /// Why the certificate was refused, once known (see `TLSDiagnosis`).
    var certificate: CogramAPIError.Transport.CertificateProblem?

    /// Safe to send again whatever the method.
    var neverSent: Bool { kind == .connect || kind == .connectTimeout }
    /// Worth sending again if the method allows it.
    var retryable: Bool {
        switch kind {
        case .connect, .connectTimeout, .readTimeout, .closed: true
        case .tls, .proxy, .other: false
        }
    }

    var summary: String {
        switch kind {
        case .connect: "connection failure (\(reason))"
        case .connectTimeout: "connect timeout"
        case .readTimeout: "read timeout"
        case .closed: "connection closed without an answer (\(reason))"
        case .tls, .proxy, .other: reason
        }
    }

    init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// Shown instead of AsyncHTTPClient's invalid-header errors, which carry the offending values (the
    /// `Authorization` header among them).
    static let invalidHeaderReason = "a request header holds a character HTTP does not allow (a line break or another "
        + "control character, in the API key or the actor, say); the value is not shown"

    /// Classifies `error`; its text passes through `SafeText` (the key redacted, control characters escaped).
    init(classifying error: any Error, key: APIKey) {
        self.init(classifying: error)
        reason = SafeText.clean(reason, redacting: key, limit: 300)
    }

    private init(classifying error: any Error) {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            self.init(kind: .tls(certificate: true), reason: "its certificate does not name the host (name mismatch)")
            certificate = .nameMismatch
            return
        }
        if let error = error as? NIOSSLError {
            if case .handshakeFailed(let inner) = error, "\(inner)".contains("CERTIFICATE_VERIFY_FAILED") {
                self.init(kind: .tls(certificate: true), reason: "its certificate was not accepted")
            } else {
                self.init(kind: .tls(certificate: false), reason: "the TLS handshake failed (the server may not speak TLS on this port, or only versions this client refuses)")
            }
            return
        }
        if let error = error as? HTTPClientError {
            if error.shortDescription.hasPrefix("Invalid header field") {
                self.init(kind: .other, reason: Self.invalidHeaderReason)
                return
            }
            if error == .proxyAuthenticationRequired {
                self.init(kind: .proxy, reason: "the proxy asks for credentials (407); put them in the proxy URL, http://user:password@host:port")
                return
            }
            if error == .invalidProxyResponse {
                self.init(kind: .proxy, reason: "the proxy refused to open a tunnel (CONNECT) to the API host")
                return
            }
            if error == .httpProxyHandshakeTimeout {
                self.init(kind: .proxy, reason: "the proxy did not answer the tunnel request (CONNECT) in time")
                return
            }
            switch error {
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                self.init(kind: .connectTimeout, reason: "\(error)")
            case .readTimeout, .writeTimeout, .deadlineExceeded:
                self.init(kind: .readTimeout, reason: "\(error)")
            case .remoteConnectionClosed:
                self.init(kind: .closed, reason: "remote connection closed")
            default:
                // `shortDescription` carries no associated values (which may hold header values).
                self.init(kind: .other, reason: error.shortDescription)
            }
            return
        }
        if let error = error as? IOError {
            self.init(errno: error.errnoCode, text: "\(error)")
            return
        }
        #if canImport(Network)
        // Network.framework (NIOTransportServices on macOS) reports the same conditions as POSIX codes: classify
        // them like Linux's, so that retries behave the same.
        if let error = error as? NWError {
            switch error {
            case .posix(let code): self.init(errno: code.rawValue, text: "\(error)")
            case .tls: self.init(kind: .tls(certificate: true), reason: "its certificate was not accepted")
            case .dns: self.init(kind: .connect, reason: "the host name could not be resolved")
            @unknown default: self.init(kind: .other, reason: "\(error)")
            }
            return
        }
        #endif
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: self.init(kind: .connectTimeout, reason: "\(error)")
            case .ioOnClosedChannel, .eof, .outputClosed, .alreadyClosed, .inputClosed:
                self.init(kind: .closed, reason: "\(error)")
            default: self.init(kind: .other, reason: "\(error)")
            }
            return
        }
        // NIOPosix's NIOConnectionError (connect failed for every resolved address) is not visible from here
        // without depending on NIOPosix; recognise it by name.
        let typeName = String(describing: type(of: error))
        let text = String(describing: error)
        if typeName == "NIOConnectionError" {
            let refused = text.localizedCaseInsensitiveContains("refused")
            self.init(kind: .connect, reason: refused ? "connection refused" : "could not connect")
            return
        }
        self.init(kind: .other, reason: text)
    }

    private init(errno code: Int32, text: String) {
        switch code {
        case ECONNREFUSED: self.init(kind: .connect, reason: "connection refused")
        case ENETUNREACH, EHOSTUNREACH: self.init(kind: .connect, reason: "network unreachable")
        case ETIMEDOUT: self.init(kind: .connectTimeout, reason: "timed out")
        case ECONNRESET, EPIPE, ECONNABORTED: self.init(kind: .closed, reason: "connection reset")
        default: self.init(kind: .other, reason: text)
        }
    }

    /// The `CogramAPIError` for this failure after the last attempt.
    func error(method: HTTPMethod, url: String, attempts: Int, configuration: ClientConfiguration) -> CogramAPIError {
        switch kind {
        case .connect:
            return .transport(.init(method: method.rawValue, url: url, kind: .connectionFailed, reason: reason, attempts: attempts))
        case .connectTimeout:
            return .timeout(.init(method: method.rawValue, url: url, phase: .connect, seconds: configuration.connectTimeout.seconds, attempts: attempts))
        case .readTimeout:
            return .timeout(.init(method: method.rawValue, url: url, phase: .read, seconds: configuration.readTimeout.seconds, attempts: attempts))
        case .closed:
            return .transport(.init(method: method.rawValue, url: url, kind: .connectionClosed, reason: reason, attempts: attempts))
        case .tls:
            return .transport(.init(
                method: method.rawValue, url: url, kind: .tls, reason: reason, attempts: attempts, certificate: certificate))
        case .proxy:
            return .transport(.init(method: method.rawValue, url: url, kind: .proxy, reason: reason, attempts: attempts))
        case .other:
            return .transport(.init(method: method.rawValue, url: url, kind: .other, reason: reason, attempts: attempts))
        }
    }
}
