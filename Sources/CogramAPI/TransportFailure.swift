import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A request that got no complete HTTP answer, sorted by what it means for a retry.
struct TransportFailure: Sendable {
    enum Kind: Sendable {
        /// The connection could not be established: the request never left, a retry is always safe.
        case connect
        /// The connect timeout passed: the request never left either.
        case connectTimeout
        /// No (complete) answer in time: the server may have acted on the request.
        case readTimeout
        /// The connection closed before a complete answer: the server may have acted on the request.
        case closed
        /// TLS, DNS or protocol errors: retrying will not help.
        case other
    }

    var kind: Kind
    var reason: String

    /// Safe to send again whatever the method.
    var neverSent: Bool { kind == .connect || kind == .connectTimeout }
    /// Worth sending again if the method allows it.
    var retryable: Bool { kind != .other }

    var summary: String {
        switch kind {
        case .connect: "connection failure (\(reason))"
        case .connectTimeout: "connect timeout"
        case .readTimeout: "read timeout"
        case .closed: "connection closed without an answer (\(reason))"
        case .other: reason
        }
    }

    init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    init(classifying error: any Error) {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                self.init(kind: .connectTimeout, reason: "\(error)")
            case .readTimeout, .writeTimeout, .deadlineExceeded:
                self.init(kind: .readTimeout, reason: "\(error)")
            case .remoteConnectionClosed:
                self.init(kind: .closed, reason: "remote connection closed")
            default:
                self.init(kind: .other, reason: "\(error)")
            }
            return
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: self.init(kind: .connect, reason: "connection refused")
            case ENETUNREACH, EHOSTUNREACH: self.init(kind: .connect, reason: "network unreachable")
            case ECONNRESET, EPIPE: self.init(kind: .closed, reason: "connection reset")
            default: self.init(kind: .other, reason: "\(error)")
            }
            return
        }
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
        case .other:
            return .transport(.init(method: method.rawValue, url: url, kind: .other, reason: reason, attempts: attempts))
        }
    }
}
