import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// Why a server's certificate was refused, in words: BoringSSL reports only "certificate verify failed", so the
/// reason is found by looking at the certificate itself over a second, unverified connection (nothing is sent
/// on it but the handshake).
public enum TLSDiagnosis {
    /// What was wrong with a certificate, and the sentence that says so.
    public struct Finding: Sendable, Hashable {
        public var problem: CogramAPIError.Transport.CertificateProblem
        public var reason: String
    }

    /// Why a certificate of `host` failed verification: expired, not yet valid, issued for other names, or (none
    /// of those) issued by a CA that is not trusted. The dates come first: a certificate out of its dates is
    /// refused whoever issued it, so they are the one thing that must change.
    public static func diagnose(host: String, port: Int, proxy: ProxySettings?, timeout: Duration) async -> Finding {
        let untrusted = Finding(
            problem: .untrusted,
            reason: "its certificate is issued by a certificate authority this machine does not trust (unknown issuer)")
        // Through a proxy the tunnel would have to be built again; the issuer is then the likeliest cause
        // (a TLS-intercepting proxy), and the sentence says so.
        guard proxy == nil, let certificate = await peerCertificate(host: host, port: port, timeout: timeout) else {
            return untrusted
        }
        let now = time(nil)
        if certificate.notValidAfter < now {
            return Finding(problem: .expired, reason: "its certificate has expired (it was valid until \(format(certificate.notValidAfter)))")
        }
        if certificate.notValidBefore > now {
            return Finding(problem: .notYetValid, reason: "its certificate is not valid yet (it is valid from \(format(certificate.notValidBefore)))")
        }
        let names = dnsNames(certificate)
        if !names.isEmpty, !names.contains(where: { matches(host: host, pattern: $0) }) {
            let shown = names.prefix(3).map { SafeText.clean($0, limit: 80) }.joined(separator: ", ")
            return Finding(problem: .nameMismatch, reason: "its certificate is for \(shown), not \(host) (name mismatch)")
        }
        return untrusted
    }

    static func dnsNames(_ certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap { name in
            guard name.nameType == .dnsName else { return nil }
            return name.contents.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        }
    }

    static func matches(host: String, pattern: String) -> Bool {
        let host = host.lowercased()
        let pattern = pattern.lowercased()
        if pattern.hasPrefix("*.") {
            let suffix = pattern.dropFirst(1)
            return host.hasSuffix(suffix) && !host.dropLast(suffix.count).contains(".") && host.count > suffix.count
        }
        return host == pattern
    }

    private static func format(_ time: time_t) -> String {
        Instant(seconds: Int64(time)).fullDate
    }

    /// The leaf certificate `host` presents, read with verification off; nil when it cannot be read.
    static func peerCertificate(host: String, port: Int, timeout: Duration) async -> NIOSSLCertificate? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        guard let context = try? NIOSSLContext(configuration: configuration) else { return nil }
        let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
        let promiseBox = PromiseBox()
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout.timeAmount)
                .channelInitializer { channel in
                    let promise = channel.eventLoop.makePromise(of: NIOSSLCertificate?.self)
                    promiseBox.set(promise.futureResult)
                    return channel.eventLoop.makeCompletedFuture {
                        let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(promise: promise))
                    }
                }
                .connect(host: host, port: port).get()
            defer { channel.close(promise: nil) }
            guard let future = promiseBox.get() else { return nil }
            let timeoutTask = channel.eventLoop.scheduleTask(in: timeout.timeAmount) { channel.close(promise: nil) }
            defer { timeoutTask.cancel() }
            return try await future.get()
        } catch {
            return nil
        }
    }
}

/// Hands the future from the channel initializer to the caller; set once, on the channel's event loop, before
/// `connect` completes, and read afterwards.
private final class PromiseBox: Sendable {
    private let future = Mutex<EventLoopFuture<NIOSSLCertificate?>?>(nil)

    func set(_ f: EventLoopFuture<NIOSSLCertificate?>) { future.withLock { $0 = f } }
    func get() -> EventLoopFuture<NIOSSLCertificate?>? { future.withLock { $0 } }
}

/// Completes with the peer certificate once the TLS handshake is done.
private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<NIOSSLCertificate?>
    private var done = false

    init(promise: EventLoopPromise<NIOSSLCertificate?>) { self.promise = promise }

    private func finish(_ result: Result<NIOSSLCertificate?, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
            finish(.success(handler?.peerCertificate))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.ioOnClosedChannel))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.ioOnClosedChannel))
    }
}
