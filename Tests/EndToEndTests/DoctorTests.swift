import CogramSandbox
import CogramTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

/// `cogramctl doctor` against the sandbox, a web server that is not the API, and nothing at all.
@Suite struct DoctorTests {
    @Test func theSandboxPassesEveryCheck() async throws {
        try await stopping(try await TestOrganization.start(projects: [.init(name: "Depot", externalID: "p-depot", members: [.init(email: TestOrganization.email("ana"), role: .owner)])])) { org in
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
    }

    /// What doctor can see of each sandbox dialect (it never writes, so the write-side ones look like the contract).
    static let dialectVerdicts: [(SandboxDialect, String?)] = [
        (.dataEnvelope, "- the list is under \u{201C}data\u{201D}, not \u{201C}items\u{201D}"),
        (.extraFields, "- extra item fields (ignored): "),
        (.ignoreFilters, "warn  filter external_id  ignored: "),
        (.delete204, nil),
        (.epochReset, "the reset is a Unix time in seconds, not seconds"),
        (.retryAfterDate, nil),
        (.noUniqueExternalID, nil),
        (.unknownEnumValues, " values: "),
        (.loseFirstCreate, nil),
    ]

    @Test(arguments: dialectVerdicts)
    func eachSandboxDialectGetsItsVerdict(dialect: SandboxDialect, verdict: String?) async throws {
        try await stopping(try await TestOrganization.start(
            projects: [.init(name: "Depot", externalID: "p-depot", members: [.init(email: TestOrganization.email("ana"), role: .owner)])],
            dialects: [dialect])) { org in
            let result = try await org.run(["doctor"])
            #expect(!result.stdout.contains(org.key))
            if let verdict {
                #expect(result.stdout.contains(verdict), "\(dialect): \(result.stdout)")
                // unknown enum values are tolerated only once the models read them as open values.
                if dialect != .unknownEnumValues { #expect(result.status == 0, "\(dialect): \(result.stdout)") }
            } else {
                #expect(result.status == 0, "\(dialect): \(result.stdout)")
                #expect(result.stdout.hasSuffix("0 failed, 0 warnings.\n"), "\(dialect): \(result.stdout)")
            }
        }
    }

    @Test func jsonGivesTheSameChecksAsADocument() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            let result = try await org.run(["doctor", "--format", "json"])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(document["failed"] as? Int == 0)
            let checks = try #require(document["checks"] as? [[String: Any]])
            #expect(checks.first { $0["name"] as? String == "authentication" }?["status"] as? String == "ok")
            // No project to read members of: skipped, which is not a failure.
            #expect(checks.first { $0["name"] as? String == "members" }?["status"] as? String == "skip")
        }
    }

    @Test(arguments: [("wrong-key-0123456789", "key invalid (HTTP 401 api_key_invalid)"), ("", "key missing (HTTP 401 api_key_missing)")])
    func aBadOrMissingKeyIsNamed(key: String, verdict: String) async throws {
        try await stopping(try await TestOrganization.start()) { org in
            let result = try await org.run(["doctor"], environment: ["COGRAM_API_KEY": key])
            #expect(result.status == 1)
            #expect(result.stdout.contains("fail  authentication"), "\(result.stdout)")
            #expect(result.stdout.contains(verdict), "\(result.stdout)")
            #expect(result.stdout.contains("skip  projects"))
        }
    }

    @Test func aPlainWebServerIsNotACogramAPI() async throws {
        let server = try await HTMLServer.start()
        let result = try await Binary.run(["doctor"], environment: ["COGRAM_API_URL": server.url, "COGRAM_API_KEY": "k-0123456789abcdef"])
        try await server.shutdown()
        #expect(result.status == 1)
        #expect(result.stdout.contains("fail  cogram-api"), "\(result.stdout)")
        #expect(result.stdout.contains("not a Cogram API: GET /v1/projects answered HTTP 200 with text/html"), "\(result.stdout)")
    }

    @Test func anAPIInAnotherDialectIsToleratedAndItsDifferencesListed() async throws {
        // Lists under "data" with total_count and an extra field, filters ignored, the reset as a Unix time, and
        // an OpenAPI document whose Project differs.
        let project = #"{"id": "prj_1", "name": "Depot", "description": null, "external_id": "p-depot", "status": "active", "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z", "owner": {"id": 3}}"#
        let user = #"{"id": "usr_1", "email": "ana@acme.example", "name": "Ana", "role": "admin", "external_id": null, "status": "active"}"#
        let member = #"{"user_id": "usr_1", "email": "ana@acme.example", "name": "Ana", "role": "owner", "added_at": "2026-01-05T10:00:00Z"}"#
        let openAPI = #"{"openapi": "3.1.0", "paths": {}, "components": {"schemas": {"Project": {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}}}}"#
        let reset = String(Int(Date().timeIntervalSince1970) + 30)
        let server = try await HTMLServer.start { path in
            let json = "application/json"
            let limits = [("X-RateLimit-Limit", "1000"), ("X-RateLimit-Remaining", "999"), ("X-RateLimit-Reset", reset)]
            switch path {
            case "/v1/projects": return .init(contentType: json, body: #"{"data": [\#(project)], "total_count": 1}"#, headers: limits)
            case "/v1/users": return .init(contentType: json, body: #"{"data": [\#(user)], "total_count": 1}"#, headers: limits)
            case "/v1/projects/prj_1/members": return .init(contentType: json, body: #"{"data": [\#(member)], "total_count": 1}"#, headers: limits)
            case "/v1/openapi.json": return .init(contentType: json, body: openAPI)
            default: return .init(status: 404, contentType: json, body: #"{"error": {"code": "not_found", "message": "no"}}"#)
            }
        }
        let result = try await Binary.run(["doctor"], environment: ["COGRAM_API_URL": server.url, "COGRAM_API_KEY": "k-0123456789abcdef"])
        try await server.shutdown()
        #expect(result.status == 0, "warnings only: \(result.stdout)")
        let out = result.stdout
        #expect(out.contains("warn  projects            differs from the contract; cogramctl tolerates it"), "\(out)")
        #expect(out.contains("- the list is under \u{201C}data\u{201D}, not \u{201C}items\u{201D}"))
        #expect(out.contains("- the total is under \u{201C}total_count\u{201D}"))
        #expect(out.contains("- extra item fields (ignored): owner"))
        #expect(out.contains("warn  filter external_id  ignored: an external_id no project has still gave 1 result"))
        #expect(out.contains("warn  filter email        ignored"))
        #expect(out.contains("warn  rate-limit headers  limit 1000, remaining 999, reset \(reset): the reset is a Unix time in seconds, not seconds"))
        #expect(out.contains("warn  openapi             /v1/openapi.json: "))
        #expect(out.contains("- #/components/schemas/Project: required is [id, name] there, [created_at, description, external_id, id, name, status, updated_at] here"))
        #expect(out.contains("- #/components/schemas/User: not in the live document"))
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

    /// A server certificate the test CA signed, whether the CA is trusted (`--ca-bundle`), and what doctor must
    /// say of it.
    struct CertificateCase: Sendable, CustomTestStringConvertible {
        var validity: TestCA.Validity
        var trusted: Bool
        var reason: String
        /// Whether trusting another CA would help, so that the advice names --ca-bundle.
        var suggestsCABundle: Bool
        var testDescription: String { reason }
    }

    @Test(arguments: [
        CertificateCase(validity: .expired, trusted: true, reason: "its certificate has expired (it was valid until 2020-01-02)", suggestsCABundle: false),
        CertificateCase(validity: .current, trusted: false, reason: "its certificate is issued by a certificate authority this machine does not trust (unknown issuer)", suggestsCABundle: true),
    ])
    func aRefusedCertificateIsTheConnectionsVerdict(_ certificate: CertificateCase) async throws {
        let ca = try TestCA.make(validity: certificate.validity)
        defer { ca.remove() }
        let server = try await HTMLServer.start(tls: try ca.serverContext())
        let result = try await Binary.run(
            ["doctor"] + (certificate.trusted ? ["--ca-bundle", ca.caPath] : []),
            environment: ["COGRAM_API_URL": server.url, "COGRAM_API_KEY": "k-0123456789abcdef"])
        try await server.shutdown()
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("ok    trust") && $0.contains(certificate.trusted ? "1 from --ca-bundle" : "the system's CA certificates") }, "\(result.stdout)")
        let connection = try #require(lines.first { $0.hasPrefix("fail  connection") }, "\(result.stdout)")
        #expect(connection.contains("TLS/CA problem: could not make a secure connection to localhost for GET \(server.url)/v1/projects"), "\(connection)")
        #expect(connection.contains(": \(certificate.reason); "), "\(connection)")
        #expect(connection.contains("pass its CA certificate with --ca-bundle FILE") == certificate.suggestsCABundle, "\(connection)")
        #expect(lines.contains { $0.hasPrefix("skip  cogram-api") && $0.contains("not checked: connection failed") }, "\(result.stdout)")
    }

    @Test func plainHTTPIsNeverProxiedAndDoctorSaysSo() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            let server = try await HTMLServer.start()
            let closed = server.url
            try await server.shutdown()
            // A proxy that is not there: were it used, the connection would fail.
            let proxy = "http://user:pw-secret@" + closed.dropFirst("http://".count)
            let result = try await org.run(["doctor"], environment: ["HTTP_PROXY": proxy])
            #expect(result.status == 0, "\(result.stdout)")
            #expect(result.stdout.contains("ok    proxy"), "\(result.stdout)")
            #expect(result.stdout.contains("plain http (loopback) always connects directly"), "\(result.stdout)")
            #expect(!result.stdout.contains("pw-secret"))
            let option = try await org.run(["doctor", "--proxy", proxy])
            #expect(option.stdout.contains("warn  proxy"), "\(option.stdout)")
            #expect(option.stdout.contains("--proxy is ignored"), "\(option.stdout)")
            #expect(option.stdout.contains("ok    connection"), "\(option.stdout)")
            #expect(!option.stdout.contains("pw-secret"))
        }
    }

    @Test func aUsageErrorExits64() async throws {
        let result = try await Binary.run(["doctor", "--format", "xml"])
        #expect(result.status == 64)
    }
}

/// A web server that answers from a route function (path without query → status, content type, body, headers);
/// by default every request gets an HTML page, as a sign-in page or a wrong URL does.
final class HTMLServer: Sendable {
    struct Answer: Sendable {
        var status: Int = 200
        var contentType = "text/html; charset=utf-8"
        var body = "<!doctype html>\n<html><head><title>Welcome</title></head><body>Sign in</body></html>\n"
        var headers: [(String, String)] = []
    }

    typealias Route = @Sendable (_ path: String) -> Answer

    private let channel: any Channel
    let url: String

    private init(channel: any Channel, tls: Bool) {
        self.channel = channel
        let port = channel.localAddress?.port ?? 0
        // Over TLS by the name the test certificates carry.
        url = tls ? "https://localhost:\(port)" : "http://127.0.0.1:\(port)"
    }

    /// Serves `route`; over TLS, presenting `tls`'s certificate, when given.
    static func start(tls: NIOSSLContext? = nil, _ route: @escaping Route = { _ in Answer() }) async throws -> HTMLServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RouteHandler(route: route))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HTMLServer(channel: channel, tls: tls != nil)
    }

    func shutdown() async throws {
        try await channel.close()
    }
}

private final class RouteHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let route: HTMLServer.Route
    private var path = "/"

    init(route: @escaping HTMLServer.Route) { self.route = route }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "/")
        case .body:
            break
        case .end:
            let answer = route(path)
            var headers = HTTPHeaders([("Content-Type", answer.contentType)] + answer.headers)
            headers.add(name: "Content-Length", value: String(answer.body.utf8.count))
            let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
