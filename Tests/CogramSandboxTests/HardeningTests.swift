import CogramAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import CogramSandbox

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits that keep one client from hurting the server or the people who read its data.
@Suite struct HardeningTests {
    // MARK: - Nesting

    @Test func bodiesNestedDeeperThanTheLimitAreRefusedBeforeDecoding() async throws {
        try await withSandbox { h in
            let deep = #"{"name":{"a":{"b":{"c":{"d":"x"}}}}}"#
            let refused = try await h.send(.post, "/v1/projects", json: deep)
            #expect(refused.status == .badRequest)
            #expect(refused.errorCode == "bad_request")
            #expect(refused.text.contains("nested deeper than \(BodyReader.maxDepth) levels"), "\(refused.text)")
            let arrays = try await h.send(.patch, "/v1/projects/prj_fixed01", json: #"{"name":[[[[["x"]]]]]}"#)
            #expect(arrays.status == .badRequest)
            #expect(arrays.errorCode == "bad_request")
            // At the limit the body is decoded, and the wrong type gets its precise answer.
            let atLimit = try await h.send(.post, "/v1/projects", json: #"{"name":{"a":{"b":{"c":1}}}}"#)
            #expect(atLimit.status == .unprocessableContent)
            #expect(atLimit.errorDetails.map(\.field) == ["name"])
            // Brackets inside strings are text.
            let text = try await h.send(.post, "/v1/projects", json: #"{"name":"[[[[[{{{{{ \"[[[[[ \\"}"#)
            #expect(text.status == .created, "\(text.text)")
            #expect(try h.store.allProjects(organization: h.sandbox.organization!.id).count == 3)
        }
    }

    @Test func nestingIsMeasuredOutsideStrings() {
        #expect(!BodyReader.nestingExceeds(1, Data(#"{"a":"[{[{"}"#.utf8)))
        #expect(BodyReader.nestingExceeds(1, Data(#"{"a":[]}"#.utf8)))
        #expect(!BodyReader.nestingExceeds(2, Data(#"{"a":[],"b":{}}"#.utf8)))
        #expect(!BodyReader.nestingExceeds(1, Data(#"{"a":"\"{"}"#.utf8)))
        #expect(BodyReader.nestingExceeds(4, Data((String(repeating: "[", count: 100_000)).utf8)))
    }

    // MARK: - Connections

    @Test func idleConnectionsAreClosed() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        var options = SandboxOptions(databasePath: path, seed: testSeed())
        options.idleTimeout = .milliseconds(300)
        let sandbox = try await Sandbox.start(options)
        let closed = await onThread { try? RawSocket(port: sandbox.port).waitForClose(timeoutSeconds: 20) }
        try await sandbox.shutdown()
        #expect(closed == true, "the server closed a connection that sent nothing")
    }

    @Test func aRequestHeadThatNeverEndsIsClosedAfterTheHeadTimeout() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        var options = SandboxOptions(databasePath: path, seed: testSeed())
        options.headTimeout = .milliseconds(500)
        try await Sandbox.run(options) { sandbox in
            let started = ContinuousClock.now
            let closed = await onThread {
                guard let socket = try? RawSocket(port: sandbox.port) else { return false }
                socket.sendWithoutWaiting(Data("GET /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
                return socket.waitForClose(timeoutSeconds: 20)
            }
            #expect(closed, "the server closed a connection whose head never ended")
            // The idle timeout (60 s) did not do it: nothing else would close it this soon.
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test func threeHundredHalfOpenConnectionsFromOneClientDoNotBlockARequest() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        // The defaults: 256 connections, 64 per client, 5 s for a head, 60 s idle.
        try await Sandbox.run(SandboxOptions(databasePath: path, seed: testSeed())) { sandbox in
            let key = try #require(sandbox.apiKey)
            let port = sandbox.port
            let held = await onThread {
                (0..<300).compactMap { _ -> RawSocket? in
                    guard let socket = try? RawSocket(port: port) else { return nil }
                    socket.sendWithoutWaiting(Data("GET /v1/users HTTP/1.1\r\n".utf8))
                    return socket
                }
            }
            #expect(held.count == 300, "the kernel accepted every connection")
            let started = ContinuousClock.now
            let answer = try await rawHTTP(port: port, rawRequestHead("GET", "/v1/users", key: key), timeoutSeconds: 10)
            #expect(answer.status == 200)
            #expect(ContinuousClock.now - started < .seconds(3), "served at once, not after a timeout")
            for socket in held { socket.close() }
        }
    }

    @Test func theEndOfARequestHeadIsFound() {
        #expect(ConnectionGuard.containsHeadEnd(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
        #expect(!ConnectionGuard.containsHeadEnd(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)))
        #expect(!ConnectionGuard.containsHeadEnd(Array("\r\n\r".utf8)))
    }

    @Test func connectionsBeyondTheCapWaitUntilOneCloses() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        var options = SandboxOptions(databasePath: path, seed: testSeed())
        options.maxConnections = 1
        let sandbox = try await Sandbox.start(options)
        let key = try #require(sandbox.apiKey)
        let holder = try RawSocket(port: sandbox.port)
        // The held connection is served: it gets an answer and stays open.
        let first = try await holder.exchange(rawRequestHeadKeepAlive("GET", "/v1/users", key: key))
        #expect(first.hasPrefix("HTTP/1.1 200"))
        // A second connection is not served while the first is open.
        await #expect(throws: RawHTTPError.self) {
            _ = try await rawHTTP(port: sandbox.port, rawRequestHead("GET", "/v1/users", key: key), timeoutSeconds: 2)
        }
        holder.close()
        let later = try await rawHTTP(port: sandbox.port, rawRequestHead("GET", "/v1/users", key: key), timeoutSeconds: 20)
        #expect(later.status == 200)
        try await sandbox.shutdown()
    }

    // MARK: - Rate limit

    @Test func requestsWithoutAValidKeyShareOneBucketPerClient() async throws {
        try await withSandbox(configure: { $0.rateLimitPerMinute = 3 }) { h in
            for _ in 0..<3 {
                let guess = try await h.send(.get, "/v1/users", authorization: "Bearer guess-\(UUID().uuidString)")
                #expect(guess.status == .unauthorized)
            }
            let another = try await h.send(.get, "/v1/users", authorization: "Bearer guess-\(UUID().uuidString)")
            #expect(another.status == .tooManyRequests, "a new token is no new budget")
            let none = try await h.send(.get, "/v1/users", authorization: "")
            #expect(none.status == .tooManyRequests)
            // A valid key has its own budget.
            #expect(try await h.send(.get, "/v1/users").status == .ok)
        }
    }

    // MARK: - Keys

    @Test func aRevokedKeyStaysRevoked() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let value = "revoked-key-0123456789"
        let sandbox = try await Sandbox.start(SandboxOptions(databasePath: path, seed: testSeed(), apiKey: value))
        let org = try #require(sandbox.organization).id
        #expect(try sandbox.store.revokeAPIKey(organization: org, key: "sandbox") == 1)
        #expect(throws: SandboxError.apiKeyRevoked) {
            try sandbox.store.createAPIKey(organization: org, name: "again", value: value)
        }
        try await sandbox.shutdown()
        await #expect(throws: SandboxError.apiKeyRevoked) {
            _ = try await Sandbox.start(SandboxOptions(databasePath: path, apiKey: value))
        }
        let store = try SandboxStore(path: path)
        #expect(try store.listAPIKeys().map(\.state) == ["revoked"])
        try store.close()
    }

    @Test func expiriesAreFiniteAndBounded() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let store = try SandboxStore(path: path)
        defer { try? store.close() }
        let org = try store.seed(testSeed())
        for date in [Date(timeIntervalSince1970: .infinity), Date(timeIntervalSince1970: .nan), Date(timeIntervalSince1970: 1e15)] {
            #expect(throws: SandboxError.self) { try store.createAPIKey(organization: org, name: "far", expiresAt: date) }
        }
        _ = try store.createAPIKey(organization: org, name: "distant", expiresAt: Date(timeIntervalSince1970: 253_402_300_000))
        #expect(try store.listAPIKeys(organization: org).first?.expiresAt?.hasPrefix("9999-12-31") == true)
    }

    // MARK: - Files

    @Test func theDatabaseIsReadableByItsOwnerOnly() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        try await withSandbox(configure: { $0.databasePath = path }) { h in
            #expect(try await h.send(.post, "/v1/projects", json: #"{"name":"Written"}"#).status == .created)
            for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
                let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber
                #expect(mode?.intValue == 0o600, "\(file): \(String(mode?.intValue ?? 0, radix: 8))")
            }
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    // MARK: - Audit log

    @Test func auditTextNeutralizesSeparatorsAndControlsAndCapsLength() {
        #expect(SandboxResponder.auditText("a\u{2028}b\u{2029}c\u{85}d\u{1B}e\u{202E}f", limit: 50) == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f")
        #expect(SandboxResponder.auditText(String(repeating: "x", count: 20), limit: 8) == "xxxxxxxx…")
    }

    @Test func auditLogStoresSeparatorsNeutralizedAndLongPathsCapped() async throws {
        try await withSandbox { h in
            let org = h.sandbox.organization!.id
            var headers: HTTPFields = [:]
            headers[.xForwardedUser] = "mallory\u{2028}2026-01-01T00:00:00Z  200  DELETE"
            #expect(try await h.send(.patch, "/v1/projects/prj_fixed01", json: #"{"name":"R"}"#, headers: headers).status == .ok)
            let longID = String(repeating: "z", count: 3000)
            #expect(try await h.send(.patch, "/v1/projects/\(longID)", json: #"{"name":"R"}"#).status == .notFound)
            let entries = try h.store.auditLog(organization: org)
            let actor = try #require(entries.compactMap(\.actor).first)
            #expect(!actor.unicodeScalars.contains("\u{2028}"))
            #expect(actor.hasPrefix("mallory\u{FFFD}"))
            let long = try #require(entries.first { $0.status == 404 })
            #expect(long.path.unicodeScalars.count == SandboxResponder.maxAuditPathLength + 1)
            #expect(long.path.hasSuffix("…"))
        }
    }
}

#if canImport(Glibc)
private let closeDescriptor = Glibc.close
#else
private let closeDescriptor = Darwin.close
#endif

/// A request head that keeps the connection open.
func rawRequestHeadKeepAlive(_ method: String, _ target: String, key: String) -> Data {
    Data("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n\r\n".utf8)
}

/// Runs blocking socket work on a thread of its own, away from the cooperative pool the server needs.
func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// A loopback TCP connection held open by a test.
final class RawSocket: Sendable {
    private let fd: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw RawHTTPError.socket("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            _ = closeDescriptor(fd)
            throw RawHTTPError.socket("connect() failed")
        }
    }

    deinit { close() }

    private let closed = Mutex(false)

    func close() {
        let wasOpen = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard wasOpen else { return }
        _ = closeDescriptor(fd)
    }

    /// Sends `data` and returns at once.
    func sendWithoutWaiting(_ data: Data) {
        _ = data.withUnsafeBytes { send(fd, $0.baseAddress!, data.count, 0) }
    }

    private func setTimeout(_ seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// True when the peer closes the connection within `timeoutSeconds`; false when the wait times out.
    func waitForClose(timeoutSeconds: Int) -> Bool {
        setTimeout(timeoutSeconds)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
    }

    /// Sends `request` and returns what arrives until the answer's head and body (by Content-Length) are in.
    func exchange(_ request: Data, timeoutSeconds: Int = 20) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread { [self] in
                continuation.resume(with: Result { try self.exchangeBlocking(request, timeoutSeconds: timeoutSeconds) })
            }.start()
        }
    }

    private func exchangeBlocking(_ request: Data, timeoutSeconds: Int) throws -> String {
        setTimeout(timeoutSeconds)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress!, request.count, 0) }
        guard sent == request.count else { throw RawHTTPError.socket("send() failed") }
        var received = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { throw RawHTTPError.noResponse(received) }
            received.append(contentsOf: chunk[0..<count])
            let text = String(decoding: received, as: UTF8.self)
            if let split = text.range(of: "\r\n\r\n") {
                let head = text[..<split.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text[split.upperBound...].utf8.count >= length { return text }
            }
        }
    }
}
