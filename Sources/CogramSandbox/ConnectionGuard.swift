import NIOCore
import Synchronization

/// The connections of each client address, shared by every connection of one server: at most `perClient` at
/// once. A new connection beyond that closes the oldest one of the same client that is still waiting for its
/// first request head (a half-open connection holds nothing of value), so a client that opens hundreds of
/// connections and sends nothing cannot crowd out its own real requests, nor anyone else's.
final class ClientConnections: Sendable {
    private struct Entry {
        var id: Int
        var channel: any Channel
        var waiting: Bool
    }

    private struct State {
        var clients: [String: [Entry]] = [:]
        var lastID = 0
    }

    private let state = Mutex(State())
    let perClient: Int

    init(perClient: Int) {
        self.perClient = max(1, perClient)
    }

    /// Registers a new connection of `client`; nil when it must be refused (every one of the client's
    /// connections is past its first request head).
    func admit(_ channel: any Channel, client: String) -> Int? {
        let (id, evicted): (Int?, (any Channel)?) = state.withLock { state in
            var entries = state.clients[client, default: []]
            var evicted: (any Channel)?
            if entries.count >= perClient {
                guard let index = entries.firstIndex(where: \.waiting) else { return (nil, nil) }
                evicted = entries.remove(at: index).channel
            }
            state.lastID += 1
            entries.append(Entry(id: state.lastID, channel: channel, waiting: true))
            state.clients[client] = entries
            return (state.lastID, evicted)
        }
        evicted?.close(promise: nil)
        return id
    }

    func headReceived(client: String, id: Int) {
        state.withLock { state in
            guard let index = state.clients[client]?.firstIndex(where: { $0.id == id }) else { return }
            state.clients[client]?[index].waiting = false
        }
    }

    func leave(client: String, id: Int) {
        state.withLock { state in
            state.clients[client]?.removeAll { $0.id == id }
            if state.clients[client]?.isEmpty == true { state.clients[client] = nil }
        }
    }

    /// Connections currently open for `client` (tests).
    func count(client: String) -> Int {
        state.withLock { $0.clients[client]?.count ?? 0 }
    }
}

/// Hummingbird adds its extra handlers after the HTTP decoder; the guard must see raw bytes, so this one puts
/// a `ConnectionGuard` at the front of the pipeline and otherwise passes everything through.
final class ConnectionGuardInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let connections: ClientConnections
    private let headTimeout: TimeAmount

    init(connections: ClientConnections, headTimeout: TimeAmount) {
        self.connections = connections
        self.headTimeout = headTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let guardHandler = ConnectionGuard(connections: connections, headTimeout: headTimeout)
        do {
            try context.pipeline.syncOperations.addHandler(guardHandler, position: .first)
        } catch {
            context.close(promise: nil)
        }
    }
}

/// Closes a connection whose first request head has not fully arrived within `headTimeout` (a client that
/// connects and sends nothing, or a head a byte at a time), and counts the connection against its client's
/// share (`ClientConnections`). Later requests on a kept-alive connection are bounded by the idle timeout.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connections: ClientConnections
    private let headTimeout: TimeAmount
    private var client: String?
    private var id: Int?
    private var timer: Scheduled<Void>?
    private var headSeen = false
    /// The last bytes read while waiting for the head, so that a `CRLF CRLF` split across reads is found.
    private var tail: [UInt8] = []

    init(connections: ClientConnections, headTimeout: TimeAmount) {
        self.connections = connections
        self.headTimeout = headTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard client == nil else { return }
        let client = context.channel.remoteAddress?.ipAddress ?? "unknown"
        self.client = client
        guard let id = connections.admit(context.channel, client: client) else {
            context.close(promise: nil)
            return
        }
        self.id = id
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: headTimeout) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headSeen {
            let buffer = unwrapInboundIn(data)
            let bytes = tail + Array(buffer.readableBytesView)
            if Self.containsHeadEnd(bytes) {
                headSeen = true
                tail = []
                timer?.cancel()
                if let client, let id { connections.headReceived(client: client, id: id) }
            } else {
                tail = Array(bytes.suffix(3))
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        timer?.cancel()
        timer = nil
        if let client, let id { connections.leave(client: client, id: id) }
        id = nil
    }

    static func containsHeadEnd(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return true
        }
        return false
    }
}
