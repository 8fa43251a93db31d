import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// A small forward HTTP proxy on 127.0.0.1 for tests: `CONNECT host:port` opens a tunnel, an absolute-form
/// request (`GET http://host:port/path`) is forwarded in origin form. It counts what passes and records the
/// `Proxy-Authorization` headers it saw. `refuse` answers every request with that status instead.
final class ForwardProxy: Sendable {
    struct Log: Sendable {
        var tunnels: [String] = []
        var forwarded: [String] = []
        var authorizations: [String] = []
    }

    /// The log, shared by the proxy and every connection's handler.
    final class LogBox: Sendable {
        let state = Mutex(Log())
    }

    private let channel: any Channel
    private let log: LogBox
    let port: Int

    var url: String { "http://127.0.0.1:\(port)" }
    var tunnels: [String] { log.state.withLock { $0.tunnels } }
    var forwarded: [String] { log.state.withLock { $0.forwarded } }
    var authorizations: [String] { log.state.withLock { $0.authorizations } }

    private init(channel: any Channel, log: LogBox, port: Int) {
        self.channel = channel
        self.log = log
        self.port = port
    }

    static func start(refuse: Int? = nil) async throws -> ForwardProxy {
        let log = LogBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProxyHeadHandler(log: log, refuse: refuse))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ForwardProxy(channel: channel, log: log, port: channel.localAddress?.port ?? 0)
    }

    func shutdown() async throws {
        try await channel.close()
    }

    static func with<T>(
        refuse: Int? = nil, isolation: isolated (any Actor)? = #isolation, _ body: (ForwardProxy) async throws -> T
    ) async throws -> T {
        let proxy = try await start(refuse: refuse)
        do {
            let result = try await body(proxy)
            try await proxy.shutdown()
            return result
        } catch {
            try? await proxy.shutdown()
            throw error
        }
    }
}

/// Reads the request head, then becomes a tunnel (CONNECT) or a one-request forwarder (absolute form).
private final class ProxyHeadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let log: ForwardProxy.LogBox
    private let refuse: Int?
    private var buffer = ByteBuffer()
    private var pending: [ByteBuffer] = []
    private var connecting = false

    init(log: ForwardProxy.LogBox, refuse: Int?) {
        self.log = log
        self.refuse = refuse
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        if connecting {
            pending.append(chunk)
            return
        }
        buffer.writeBuffer(&chunk)
        let text = String(buffer: buffer)
        guard let end = text.range(of: "\r\n\r\n") else { return }
        let head = String(text[..<end.lowerBound])
        let rest = ByteBuffer(string: String(text[end.upperBound...]))
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3 else {
            context.close(promise: nil)
            return
        }
        if let auth = lines.first(where: { $0.lowercased().hasPrefix("proxy-authorization:") }) {
            let value = String(auth.dropFirst("proxy-authorization:".count)).trimmingCharacters(in: .whitespaces)
            log.state.withLock { $0.authorizations.append(value) }
        }
        if let refuse {
            let reply = "HTTP/1.1 \(refuse) Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply))).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        let method = String(parts[0])
        let target = String(parts[1])
        var host: String
        var port: Int
        var forwardHead: ByteBuffer?
        if method == "CONNECT" {
            let hp = target.split(separator: ":")
            host = String(hp.first ?? "")
            port = Int(hp.last ?? "") ?? 443
            log.state.withLock { $0.tunnels.append(target) }
        } else {
            guard let url = URL(string: target), let h = url.host else {
                context.close(promise: nil)
                return
            }
            host = h
            port = url.port ?? 80
            var origin = url.path.isEmpty ? "/" : url.path
            if let query = url.query { origin += "?" + query }
            var newLines = lines
            newLines[0] = "\(method) \(origin) \(parts[2])"
            newLines = newLines.filter { !$0.lowercased().hasPrefix("proxy-") }
            forwardHead = ByteBuffer(string: newLines.joined(separator: "\r\n") + "\r\n\r\n")
            log.state.withLock { $0.forwarded.append("\(method) \(target)") }
        }
        if host == "localhost" { host = "127.0.0.1" }
        connecting = true
        if rest.readableBytes > 0 { pending.append(rest) }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let isConnect = method == "CONNECT"
        let forward = forwardHead
        ClientBootstrap(group: context.eventLoop)
            .connect(host: host, port: port)
            .whenComplete { result in
                let (handler, context) = bound.value
                handler.connected(result, context: context, isConnect: isConnect, head: forward)
            }
    }

    private func connected(
        _ result: Result<any Channel, any Error>, context: ChannelHandlerContext, isConnect: Bool, head: ByteBuffer?
    ) {
        switch result {
        case .failure:
            let reply = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply))).whenComplete { _ in channel.close(promise: nil) }
        case .success(let upstream):
            let (local, remote) = GlueHandler.matchedPair()
            do {
                try upstream.pipeline.syncOperations.addHandler(remote)
                try context.pipeline.syncOperations.addHandler(local)
                if isConnect {
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
                } else if let head {
                    upstream.write(head, promise: nil)
                }
                for chunk in pending { upstream.write(chunk, promise: nil) }
                upstream.flush()
                pending = []
                context.pipeline.syncOperations.removeHandler(self, promise: nil)
            } catch {
                upstream.close(promise: nil)
                context.close(promise: nil)
            }
        }
    }
}

/// Copies bytes between two channels (the NIO connect-proxy example's glue).
private final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let a = GlueHandler()
        let b = GlueHandler()
        a.partner = b
        b.partner = a
        return (a, b)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }
    private func partnerFlush() { context?.flush() }
    private func partnerClose() { context?.close(promise: nil) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.partnerWrite(data) }
    func channelReadComplete(context: ChannelHandlerContext) { partner?.partnerFlush() }
    func channelInactive(context: ChannelHandlerContext) { partner?.partnerClose() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
