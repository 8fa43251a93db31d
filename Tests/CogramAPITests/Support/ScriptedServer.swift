import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A request as the scripted server received it.
struct RecordedRequest: Sendable {
    var method: String
    var uri: String
    var headers: HTTPHeaders
    var body: String
    var receivedAt: ContinuousClock.Instant

    var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }

    /// Decoded query parameters.
    var query: [String: String] {
        URLComponents(string: uri)?.queryItems?.reduce(into: [:]) { $0[$1.name] = $1.value ?? "" } ?? [:]
    }

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// What the scripted server does with one request.
enum Reply: Sendable {
    /// Answer with this status, headers and body.
    case respond(status: Int, headers: [(String, String)], body: String)
    /// Close the connection without answering.
    case drop
    /// Never answer (the client's read timeout must fire).
    case hang

    static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> Reply {
        .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    static func error(_ status: Int, _ code: String, _ message: String, details: String? = nil, headers: [(String, String)] = []) -> Reply {
        let detailsJSON = details.map { ", \"details\": \($0)" } ?? ""
        return json(status, #"{"error": {"code": "\#(code)", "message": "\#(message)"\#(detailsJSON)}}"#, headers: headers)
    }

    static let noContent = Reply.respond(status: 204, headers: [], body: "")
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers from a script and records every request, for fault tests
/// the real sandbox cannot make precise (an exact sequence of 503s, a dropped connection, a hang).
final class ScriptedServer: Sendable {
    typealias Script = @Sendable (_ index: Int, _ request: RecordedRequest) -> Reply

    private let channel: any Channel
    private let recorder: Recorder
    let port: Int

    private let isTLS: Bool

    var baseURL: String { isTLS ? "https://localhost:\(port)" : "http://127.0.0.1:\(port)" }
    var requests: [RecordedRequest] { recorder.requests }

    private init(channel: any Channel, recorder: Recorder, port: Int, isTLS: Bool) {
        self.channel = channel
        self.recorder = recorder
        self.port = port
        self.isTLS = isTLS
    }

    /// Serves `script(index, request)` for the index-th request (0-based); over TLS with `tls` (then `baseURL`
    /// names `localhost`, as test certificates do).
    static func start(_ script: @escaping Script, tls: NIOSSLContext? = nil) async throws -> ScriptedServer {
        let recorder = Recorder(script: script)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(recorder: recorder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedServer(channel: channel, recorder: recorder, port: channel.localAddress?.port ?? 0, isTLS: tls != nil)
    }

    /// Serves the replies in order; the last one repeats.
    static func start(replies: [Reply]) async throws -> ScriptedServer {
        try await start { index, _ in replies[min(index, replies.count - 1)] }
    }

    func shutdown() async throws {
        try await channel.close()
    }

    /// Runs `body` with a server that is shut down afterwards.
    static func with<T>(
        replies: [Reply], isolation: isolated (any Actor)? = #isolation, _ body: (ScriptedServer) async throws -> T
    ) async throws -> T {
        try await with(script: { index, _ in replies[min(index, replies.count - 1)] }, body)
    }

    static func with<T>(
        script: @escaping Script, tls: NIOSSLContext? = nil, isolation: isolated (any Actor)? = #isolation,
        _ body: (ScriptedServer) async throws -> T
    ) async throws -> T {
        let server = try await start(script, tls: tls)
        do {
            let result = try await body(server)
            try await server.shutdown()
            return result
        } catch {
            try? await server.shutdown()
            throw error
        }
    }
}

/// The script and the log of requests, shared by every connection's handler.
private final class Recorder: Sendable {
    private let state = Mutex<[RecordedRequest]>([])
    private let script: ScriptedServer.Script

    init(script: @escaping ScriptedServer.Script) { self.script = script }

    var requests: [RecordedRequest] { state.withLock { $0 } }

    func record(_ request: RecordedRequest) -> Reply {
        let index = state.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
        return script(index, request)
    }
}

private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let recorder: Recorder
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(recorder: Recorder) { self.recorder = recorder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let request = RecordedRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers,
                body: String(buffer: body), receivedAt: .now)
            switch recorder.record(request) {
            case .respond(let status, let headers, let text):
                var responseHeaders = HTTPHeaders(headers)
                responseHeaders.replaceOrAdd(name: "Content-Length", value: String(text.utf8.count))
                let responseHead = HTTPResponseHead(
                    version: head.version, status: HTTPResponseStatus(statusCode: status), headers: responseHeaders)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                if !text.isEmpty {
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case .drop:
                context.close(promise: nil)
            case .hang:
                break
            }
        }
    }
}
