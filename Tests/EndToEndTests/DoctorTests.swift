import CogramSandbox
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// `cogramctl doctor` against the sandbox, a web server that is not the API, and nothing at all.
@Suite struct DoctorTests {
    @Test func theSandboxPassesEveryCheck() async throws {
        let org = try await TestOrganization.start(projects: [.init(name: "Depot", externalID: "p-depot", members: [.init(email: TestOrganization.email("ana"), role: .owner)])])
        defer { Task { await org.stop() } }
        let result = try await org.run(["doctor"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for name in ["api url", "api key", "proxy", "trust", "connection", "cogram-api", "authentication", "projects", "users",
                     "members", "filter external_id", "filter email", "rate-limit headers", "openapi"] {
            #expect(lines.contains { $0.hasPrefix("ok") && $0.dropFirst(6).hasPrefix(name) }, "\(name) in \(result.stdout)")
        }
        #expect(result.stdout.contains("/v1/openapi.yaml: all "))
        #expect(result.stdout.hasSuffix("0 failed, 0 warnings.\n"))
        #expect(!result.stdout.contains(org.key))
        #expect(try org.projects().count == 1, "doctor never writes")
    }

    @Test func jsonGivesTheSameChecksAsADocument() async throws {
        let org = try await TestOrganization.start()
        defer { Task { await org.stop() } }
        let result = try await org.run(["doctor", "--format", "json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["failed"] as? Int == 0)
        let checks = try #require(document["checks"] as? [[String: Any]])
        #expect(checks.first { $0["name"] as? String == "authentication" }?["status"] as? String == "ok")
        // No project to read members of: skipped, which is not a failure.
        #expect(checks.first { $0["name"] as? String == "members" }?["status"] as? String == "skip")
    }

    @Test(arguments: [("wrong-key-0123456789", "key invalid (HTTP 401 api_key_invalid)"), ("", "key missing (HTTP 401 api_key_missing)")])
    func aBadOrMissingKeyIsNamed(key: String, verdict: String) async throws {
        let org = try await TestOrganization.start()
        defer { Task { await org.stop() } }
        let result = try await org.run(["doctor"], environment: ["COGRAM_API_KEY": key])
        #expect(result.status == 1)
        #expect(result.stdout.contains("fail  authentication"), "\(result.stdout)")
        #expect(result.stdout.contains(verdict), "\(result.stdout)")
        #expect(result.stdout.contains("skip  projects"))
    }

    @Test func aPlainWebServerIsNotACogramAPI() async throws {
        let server = try await HTMLServer.start()
        let result = try await Binary.run(["doctor"], environment: ["COGRAM_API_URL": server.url, "COGRAM_API_KEY": "k-0123456789abcdef"])
        try await server.shutdown()
        #expect(result.status == 1)
        #expect(result.stdout.contains("fail  cogram-api"), "\(result.stdout)")
        #expect(result.stdout.contains("not a Cogram API: GET /v1/projects answered HTTP 200 with text/html"), "\(result.stdout)")
    }

    @Test func nothingListeningIsNotReachable() async throws {
        let server = try await HTMLServer.start()
        let url = server.url
        try await server.shutdown()
        let result = try await Binary.run(["doctor", "--connect-timeout", "2"], environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY": "k-0123456789abcdef"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("fail  connection"), "\(result.stdout)")
        #expect(result.stdout.contains("not reachable: could not connect to \(url)/v1/projects"), "\(result.stdout)")
    }

    @Test func aProxyThatIsNotThereIsAProxyProblem() async throws {
        let org = try await TestOrganization.start()
        defer { Task { await org.stop() } }
        let server = try await HTMLServer.start()
        let closed = server.url
        try await server.shutdown()
        // Loopback is not exempt from HTTP_PROXY: the request goes to the (absent) proxy, and says so.
        let result = try await org.run(["doctor"], environment: ["HTTP_PROXY": "http://user:pw-secret@" + closed.dropFirst("http://".count)])
        #expect(result.status == 1)
        #expect(result.stdout.contains("ok    proxy"), "\(result.stdout)")
        #expect(result.stdout.contains("fail  connection"), "\(result.stdout)")
        #expect(result.stdout.contains("proxy problem:"), "\(result.stdout)")
        #expect(!result.stdout.contains("pw-secret"))
        let exempt = try await org.run(["doctor"], environment: ["HTTP_PROXY": "http://" + closed.dropFirst("http://".count), "NO_PROXY": "127.0.0.1"])
        #expect(exempt.status == 0, "\(exempt.stdout)")
    }

    @Test func aUsageErrorExits64() async throws {
        let result = try await Binary.run(["doctor", "--format", "xml"])
        #expect(result.status == 64)
    }
}

/// A web server that answers every request with an HTML page, as a sign-in page or a wrong URL does.
final class HTMLServer: Sendable {
    private let channel: any Channel
    let url: String

    private init(channel: any Channel) {
        self.channel = channel
        url = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)"
    }

    static func start() async throws -> HTMLServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTMLHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HTMLServer(channel: channel)
    }

    func shutdown() async throws {
        try await channel.close()
    }
}

private final class HTMLHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let body = "<!doctype html>\n<html><head><title>Welcome</title></head><body>Sign in</body></html>\n"
        var headers = HTTPHeaders([("Content-Type", "text/html; charset=utf-8")])
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
