@testable import CogramAPI
import CogramTestSupport
import Foundation
import NIOSSL
import Testing

/// Proxies, trust, redirects, deadlines: the networks of real companies, over real sockets on loopback.
@Suite("Networks: proxies, trust, redirects, deadlines")
struct NetworkTests {
    // MARK: - Proxy settings

    @Test func proxyFromTheEnvironmentAsCurlReadsIt() throws {
        let https = URL(string: "https://api.cogram.com")!
        let http = URL(string: "http://127.0.0.1:8080")!
        #expect(try ProxySettings.resolve(option: nil, target: https, environment: [:]) == nil)
        let upper = try #require(try ProxySettings.resolve(option: nil, target: https, environment: ["HTTPS_PROXY": "proxy.corp:3128"]))
        #expect(upper.host == "proxy.corp" && upper.port == 3128 && upper.source == "HTTPS_PROXY")
        let lower = try ProxySettings.resolve(option: nil, target: https, environment: ["HTTPS_PROXY": "a:1", "https_proxy": "b:2"])
        #expect(lower?.host == "b" && lower?.source == "https_proxy")
        // The http variables serve http targets only; loopback is not exempt by itself.
        #expect(try ProxySettings.resolve(option: nil, target: https, environment: ["HTTP_PROXY": "a:1"]) == nil)
        // Plain http (loopback only) never goes through a proxy, from the environment or from --proxy.
        #expect(try ProxySettings.resolve(option: nil, target: http, environment: ["http_proxy": "a:1"]) == nil)
        #expect(try ProxySettings.resolve(option: nil, target: http, environment: ["HTTP_PROXY": "a:1", "HTTPS_PROXY": "a:1"]) == nil)
        #expect(try ProxySettings.resolve(option: "http://c:3", target: http, environment: [:]) == nil)
        #expect(ProxySettings.optionIsIgnored("http://c:3", target: http))
        #expect(!ProxySettings.optionIsIgnored("http://c:3", target: https))
        #expect(!ProxySettings.optionIsIgnored(nil, target: http))
        // --proxy wins over the environment and over NO_PROXY.
        let option = try ProxySettings.resolve(option: "http://c:3", target: https, environment: ["HTTPS_PROXY": "a:1", "NO_PROXY": "*"])
        #expect(option?.host == "c" && option?.source == "--proxy")
        #expect(try ProxySettings.resolve(option: nil, target: https, environment: ["HTTPS_PROXY": "a:1", "no_proxy": ".cogram.com"]) == nil)
    }

    @Test(arguments: [
        ("api.cogram.com", "cogram.com", true), ("api.cogram.com", ".cogram.com", true), ("cogram.com", ".cogram.com", true),
        ("notcogram.com", "cogram.com", false), ("api.cogram.com", "*", true), ("api.cogram.com", "x.org, API.Cogram.com", true),
        ("127.0.0.1", "localhost", false), ("127.0.0.1", "127.0.0.1:8080", true), ("::1", "[::1]", true), ("api.cogram.com", "", false),
    ])
    func noProxyMatching(host: String, noProxy: String, matches: Bool) {
        #expect(ProxySettings.matchesNoProxy(host: host, noProxy) == matches)
    }

    @Test func proxyCredentialsAreNeverShown() throws {
        let proxy = try ProxySettings.parse("http://alice:s3cr%40t@proxy.corp:8080", source: "--proxy")
        #expect(proxy.username == "alice" && proxy.password == "s3cr@t")
        #expect("\(proxy)" == "http://***@proxy.corp:8080")
        let error = #expect(throws: ConfigurationError.self) { try ProxySettings.parse("socks5://alice:s3cret@p:1080", source: "HTTPS_PROXY") }
        #expect(error?.description.contains("s3cret") == false)
        #expect(error?.description.hasPrefix("invalid proxy 'socks5://***@p:1080' from HTTPS_PROXY: only http:// proxies are supported") == true)
    }

    // MARK: - Through a proxy

    @Test func requestsGoThroughTheProxyWithItsCredentials() async throws {
        try await ForwardProxy.with { proxy in
            try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
                var configuration = try Fixture.configuration(server.baseURL)
                configuration.proxy = try ProxySettings.parse("http://alice:s3cret@127.0.0.1:\(proxy.port)", source: "--proxy")
                let project = try await CogramClient.withClient(configuration) { try await $0.getProject(id: "prj_1") }
                #expect(project.id == "prj_1")
                #expect(server.requests.count == 1)
                #expect(server.requests.first?.header("Authorization") == "Bearer \(Fixture.key)")
            }
            #expect(proxy.tunnels.count + proxy.forwarded.count == 1)
            #expect(proxy.authorizations == ["Basic " + Data("alice:s3cret".utf8).base64EncodedString()])
        }
    }

    @Test func aProxyThatRefusesIsNamedWithoutItsPassword() async throws {
        try await ForwardProxy.with(refuse: 403) { proxy in
            try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
                var configuration = try Fixture.configuration(server.baseURL, maxRetries: 0)
                configuration.proxy = try ProxySettings.parse("http://alice:s3cret@127.0.0.1:\(proxy.port)", source: "HTTPS_PROXY")
                let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
                guard case .transport(let transport) = error else {
                    Issue.record("expected a transport error, got \(String(describing: error))")
                    return
                }
                #expect(transport.kind == .proxy)
                let message = try #require(error?.description)
                #expect(message.contains("failed at the proxy http://***@127.0.0.1:\(proxy.port) (from HTTPS_PROXY)"))
                #expect(!message.contains("s3cret"))
                #expect(server.requests.isEmpty)
            }
        }
    }

    @Test func anUnreachableProxyIsAProxyProblem() async throws {
        let closed = try await ForwardProxy.start()
        let port = closed.port
        try await closed.shutdown()
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
            var configuration = try Fixture.configuration(server.baseURL, maxRetries: 0)
            configuration.proxy = ProxySettings(host: "127.0.0.1", port: port, source: "--proxy")
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            guard case .transport(let transport) = error else {
                Issue.record("expected a transport error, got \(String(describing: error))")
                return
            }
            #expect(transport.kind == .proxy)
            #expect(server.requests.isEmpty)
        }
    }

    // MARK: - Trust

    @Test func aCertificateFromAnUnknownCAIsNamedAndTheFixSuggested() async throws {
        let ca = try TestCA.make()
        defer { ca.remove() }
        try await ScriptedServer.with(script: { _, _ in .json(200, Fixture.project(1)) }, tls: try ca.serverContext()) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL, maxRetries: 0)) {
                try await $0.getProject(id: "prj_1")
            }
            let message = try #require(error?.description)
            #expect(message == "could not make a secure connection to localhost for GET \(server.baseURL)/v1/projects/prj_1: its certificate is issued by a certificate authority this machine does not trust (unknown issuer); if your network inspects TLS with its own certificate authority, pass its CA certificate with --ca-bundle FILE (or SSL_CERT_FILE), and run `cogramctl doctor`")
            #expect(!message.contains(".build"))
            #expect(server.requests.isEmpty)
        }
    }

    @Test func aCABundleIsTrustedBesideTheSystemRoots() async throws {
        let ca = try TestCA.make()
        defer { ca.remove() }
        try await ScriptedServer.with(script: { _, _ in .json(200, Fixture.project(1)) }, tls: try ca.serverContext()) { server in
            var configuration = try Fixture.configuration(server.baseURL)
            let trust = try ClientConfiguration.resolveTrustRoots(option: nil, environment: ["SSL_CERT_FILE": ca.caPath])
            configuration.additionalTrustRoots = trust.certificates
            #expect(trust.source == "SSL_CERT_FILE=\(ca.caPath)")
            let project = try await CogramClient.withClient(configuration) { try await $0.getProject(id: "prj_1") }
            #expect(project.id == "prj_1")
        }
    }

    @Test func aCertificateForAnotherNameIsANameMismatch() async throws {
        let ca = try TestCA.make(names: ["api.other.example"])
        defer { ca.remove() }
        try await ScriptedServer.with(script: { _, _ in .json(200, Fixture.project(1)) }, tls: try ca.serverContext()) { server in
            var configuration = try Fixture.configuration(server.baseURL, maxRetries: 0)
            configuration.additionalTrustRoots = try ClientConfiguration.loadTrustRoots(path: ca.caPath, source: "--ca-bundle")
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            let message = try #require(error?.description)
            #expect(message.contains("name mismatch"), "\(message)")
            #expect(message.hasPrefix("could not make a secure connection to localhost"))
        }
    }

    @Test func anExpiredCertificateIsNamedWithoutSuggestingAnotherCA() async throws {
        // Signed by a CA the client trusts: the dates alone are wrong.
        let ca = try TestCA.make(validity: .expired)
        defer { ca.remove() }
        try await ScriptedServer.with(script: { _, _ in .json(200, Fixture.project(1)) }, tls: try ca.serverContext()) { server in
            var configuration = try Fixture.configuration(server.baseURL, maxRetries: 0)
            configuration.additionalTrustRoots = try ClientConfiguration.loadTrustRoots(path: ca.caPath, source: "--ca-bundle")
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            guard case .transport(let transport) = error else {
                Issue.record("expected a transport error, got \(String(describing: error))")
                return
            }
            #expect(transport.kind == .tls)
            #expect(transport.certificate == .expired)
            #expect(error?.description == "could not make a secure connection to localhost for GET \(server.baseURL)/v1/projects/prj_1: its certificate has expired (it was valid until 2020-01-02); the server needs a certificate valid today, or this machine's clock needs correcting (--ca-bundle does not help with dates)")
            #expect(server.requests.isEmpty)
        }
    }

    @Test func aCABundleThatIsNotPEMIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-pem-\(UUID().uuidString)").path
        try "hello".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigurationError.caBundle(source: "--ca-bundle", path: path, reason: "not a PEM file of certificates")) {
            try ClientConfiguration.resolveTrustRoots(option: path, environment: ["SSL_CERT_FILE": "/nonexistent"])
        }
    }

    // MARK: - Redirects

    @Test func aSameOriginTemporaryRedirectIsFollowedWithTheKey() async throws {
        try await ScriptedServer.with(script: { _, request in
            request.path == "/v1/projects/prj_1"
                ? .respond(status: 307, headers: [("Location", "/api/v1/projects/prj_1")], body: "")
                : .json(200, Fixture.project(1))
        }) { server in
            let project = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { try await $0.getProject(id: "prj_1") }
            #expect(project.id == "prj_1")
            #expect(server.requests.map(\.path) == ["/v1/projects/prj_1", "/api/v1/projects/prj_1"])
            #expect(server.requests.allSatisfy { $0.header("Authorization") == "Bearer \(Fixture.key)" })
        }
    }

    @Test func anyOtherRedirectIsAnErrorShowingTheLocation() async throws {
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { elsewhere in
            for (status, location) in [(301, "\(elsewhere.baseURL)/v1/projects/prj_1"), (307, "\(elsewhere.baseURL)/v1/projects/prj_1"), (302, "/login?token=abc")] {
                try await ScriptedServer.with(replies: [.respond(status: status, headers: [("Location", location)], body: "")]) { server in
                    let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                        try await $0.getProject(id: "prj_1")
                    }
                    let shown = ClientConfiguration.redactedURL(location)
                    #expect(error?.description == "GET \(server.baseURL)/v1/projects/prj_1 answered HTTP \(status), redirecting to \(shown); cogramctl follows only 307 and 308 within the same origin, so that the API key goes nowhere else: set COGRAM_API_URL / --api-url to the address the API really answers at, and run `cogramctl doctor`")
                }
            }
            #expect(elsewhere.requests.isEmpty, "the key never went to another origin")
        }
    }

    @Test func aBaseURLEndingInV1IsNormalisedWithAWarning() throws {
        let (url, warning) = ClientConfiguration.normalizeBaseURL(URL(string: "https://api.cogram.com/v1/")!)
        #expect(url.absoluteString == "https://api.cogram.com")
        #expect(warning?.hasPrefix("the API URL https://api.cogram.com/v1/ ends in /v1") == true)
        let (same, none) = ClientConfiguration.normalizeBaseURL(URL(string: "https://gateway.example/cogram")!)
        #expect(same.absoluteString == "https://gateway.example/cogram")
        #expect(none == nil)
    }

    // MARK: - Deadline

    @Test func noRequestStartsAfterTheDeadline() async throws {
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
            var configuration = try Fixture.configuration(server.baseURL)
            configuration.deadline = .now
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            guard case .timeout(let timeout) = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
            #expect(timeout.phase == .deadline)
            #expect(server.requests.isEmpty)
        }
    }

    @Test func aHangingRequestEndsAtTheDeadline() async throws {
        try await ScriptedServer.with(replies: [.hang]) { server in
            var configuration = try Fixture.configuration(server.baseURL, readTimeout: .seconds(30))
            configuration.deadline = .now + .milliseconds(400)
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            guard case .timeout(let timeout) = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
            #expect(timeout.phase == .deadline)
            #expect(error?.description == "the deadline (--deadline) passed before GET \(server.baseURL)/v1/projects/prj_1 succeeded (sent once); nothing more is started")
            #expect(server.requests.count == 1)
        }
    }

    @Test func aWriteCutOffByTheDeadlineMayHaveBeenMade() async throws {
        try await ScriptedServer.with(replies: [.hang]) { server in
            var configuration = try Fixture.configuration(server.baseURL, readTimeout: .seconds(30))
            configuration.deadline = .now + .milliseconds(400)
            let (error, _) = await CogramClient.withClientCatching(configuration) {
                try await $0.createProject(ProjectCreate(name: "X", externalID: "x-1"), retrySafe: true)
            }
            guard case .timeout(let timeout) = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
            // Not a read timeout (the limit that passed is the deadline), and not "could not be sent".
            #expect(timeout.phase == .deadline && timeout.attempts == 1)
            #expect(error?.description == "the deadline (--deadline) passed before POST \(server.baseURL)/v1/projects succeeded (sent once); Cogram may or may not have made this change (the next plan shows which); nothing more is started")
            #expect(server.requests.count == 1, "nothing is read back or resent after the deadline")
        }
    }
}
