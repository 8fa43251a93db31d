import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import Synchronization

/// The Cogram API v1 client on AsyncHTTPClient: headers, retries, rate limiting, pagination and typed errors.
///
/// Create it with `withClient(_:_:)`, which owns the `HTTPClient` and shuts it down on every path, or with
/// `init(configuration:httpClient:)` around an `HTTPClient` the caller owns (and shuts down). Every request of
/// one client shares one `RateLimiter`.
public final class CogramClient: CogramClientProtocol {
    public let configuration: ClientConfiguration
    let httpClient: HTTPClient
    let limiter: RateLimiter
    let gate: ConcurrencyGate
    let statistics = ClientStatistics()
    /// `configuration.baseURL` without trailing slashes, which every request's URL starts with.
    let base: String
    /// The headers every request carries, built once.
    let commonHeaders: HTTPHeaders
    /// One decoder for every answer: a decoder is safe to share, and making one per answer showed in profiles.
    let decoder = JSONDecoder()

    /// A client over an `HTTPClient` the caller owns; make it with `makeHTTPClient(for:)` to get the timeouts and
    /// the redirect policy of `configuration`.
    public init(configuration: ClientConfiguration, httpClient: HTTPClient) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.limiter = RateLimiter(requestsPerMinute: configuration.requestsPerMinute)
        self.gate = ConcurrencyGate(limit: configuration.maxConcurrentRequests)
        self.base = Self.trimmedBase(configuration.baseURL)
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(configuration.apiKey.unredactedValue)")
        headers.add(name: "User-Agent", value: configuration.userAgent)
        headers.add(name: "Accept", value: "application/json")
        if let actor = configuration.actor.map(Self.headerSafe), !actor.isEmpty {
            headers.add(name: "X-Forwarded-User", value: actor)
        }
        self.commonHeaders = headers
    }

    /// An `HTTPClient` with the configured connect and read timeouts, proxy and extra trust roots, no redirects
    /// of its own (`send` follows same-origin 307/308 itself, so that the `Authorization` header never follows one
    /// to another origin), and connection failures reported at once (retries are ours).
    public static func makeHTTPClient(for configuration: ClientConfiguration) -> HTTPClient {
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: configuration.connectTimeout.timeAmount, read: configuration.readTimeout.timeAmount)
        http.redirectConfiguration = .disallow
        if let proxy = configuration.proxy {
            let authorization = proxy.username.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
            http.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if !configuration.additionalTrustRoots.isEmpty {
            tls.additionalTrustRoots = [.certificates(configuration.additionalTrustRoots)]
        }
        http.tlsConfiguration = tls
        http.connectionPool.retryConnectionEstablishment = false
        // AsyncHTTPClient's default of 8 connections per host would cap a higher `--parallelism` silently.
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, configuration.maxConcurrentRequests)
        // We record no traces; the default is the global no-op tracer, which still ran a span per request.
        http.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
    }

    /// Runs `body` with a client whose `HTTPClient` is shut down afterwards, whether `body` returns or throws.
    /// An error of `body` wins over an error of the shutdown.
    public static func withClient<T>(
        _ configuration: ClientConfiguration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (CogramClient) async throws -> T
    ) async throws -> T {
        let http = makeHTTPClient(for: configuration)
        let client = CogramClient(configuration: configuration, httpClient: http)
        return try await withCleanUp { try await body(client) } cleanUp: { try await http.shutdown() }
    }

    /// Requests sent so far, retries included.
    public var requestCount: RequestCount {
        get async { statistics.count }
    }

    // MARK: - Sending

    /// A complete 2xx answer.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// The statuses after which an idempotent request (or a POST marked retry-safe) is sent again.
    static let retryableStatuses: Set<Int> = [500, 502, 503, 504]

    /// Sends one API request with retries and returns a 2xx answer, or throws `CogramAPIError`.
    ///
    /// - Parameters:
    ///   - path: the percent-encoded path, starting with `/v1`.
    ///   - retrySafe: for POST only: whether sending it twice is harmless (see `createProject`).
    ///   - headers: sent in addition to the usual ones (`Idempotency-Key`).
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil, retrySafe: Bool = false,
        headers: [(String, String)] = []
    ) async throws -> Response {
        let target = path + Self.encodeQuery(query)
        var url = self.url(target)
        var request = makeRequest(method, url: url, body: body)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let idempotent = method != .POST || retrySafe
        var attempts = 0
        var failureRetries = 0
        var rateLimitWaits = 0
        var redirects = 0

        while true {
            attempts += 1
            if let deadline = configuration.deadline, ContinuousClock.now >= deadline {
                throw CogramAPIError.timeout(.init(method: method.rawValue, url: url, phase: .deadline, seconds: 0, attempts: attempts - 1))
            }
            let outcome = try await attempt(request, method: method, url: url, path: target, isRetry: attempts > 1)
            switch outcome {
            case .response(let response) where (200..<300).contains(response.status):
                return response

            case .response(let response) where (300..<400).contains(response.status) && response.status != 304:
                let location = response.headers.first(name: "Location") ?? ""
                guard [307, 308].contains(response.status), redirects < 5,
                    let next = Self.sameOriginTarget(location, from: url)
                else {
                    throw CogramAPIError.invalidResponse(.init(
                        method: method.rawValue, url: url, status: response.status,
                        problem: .redirect(location: ClientConfiguration.redactedURL(location))))
                }
                redirects += 1
                attempts -= 1
                configuration.logger.info("following HTTP \(response.status) from \(method) \(url) to \(next) (same origin)")
                url = next
                request.url = next

            case .response(let response) where response.status == 429:
                statistics.rateLimited()
                rateLimitWaits += 1
                let retryAfter = Self.retryAfterSeconds(response.headers)
                let tooLong = retryAfter.map { Duration.seconds($0) > configuration.maxRetryAfter } ?? false
                guard rateLimitWaits <= configuration.maxRateLimitWaits, !tooLong else {
                    throw apiError(response, method: method, path: target, url: url, attempts: attempts)
                }
                let wait = retryAfter.map { Duration.seconds($0) } ?? backoff(retry: rateLimitWaits)
                limiter.block(for: wait)
                let source = retryAfter == nil ? "backoff, no Retry-After" : "Retry-After"
                configuration.logger.info(
                    "rate limited: \(method) \(url) answered 429; waiting \(Self.format(wait)) (\(source)) before retrying (429 \(rateLimitWaits) of at most \(configuration.maxRateLimitWaits))")

            case .response(let response):
                guard idempotent, Self.retryableStatuses.contains(response.status),
                    failureRetries < configuration.maxRetries
                else {
                    if Self.retryableStatuses.contains(response.status), !idempotent {
                        configuration.logger.info("not retrying \(method) \(url) after HTTP \(response.status): a POST is retried only when marked retry-safe")
                    }
                    throw apiError(response, method: method, path: target, url: url, attempts: attempts)
                }
                failureRetries += 1
                let wait = Self.retryAfterSeconds(response.headers).map { min(Duration.seconds($0), configuration.retryMaxDelay) }
                    ?? backoff(retry: failureRetries)
                configuration.logger.info(
                    "retrying \(method) \(url) in \(Self.format(wait)) after HTTP \(response.status) (retry \(failureRetries) of \(configuration.maxRetries))")
                try await Task.sleep(for: wait)

            case .failure(let failure):
                // An attempt the deadline cut short is reported as the deadline's, with the attempt counted: it
                // was sent, so its effect is unknown (a read timeout would name the wrong limit).
                if failure.kind == .readTimeout, let deadline = configuration.deadline, ContinuousClock.now >= deadline {
                    throw CogramAPIError.timeout(.init(method: method.rawValue, url: url, phase: .deadline, seconds: 0, attempts: attempts))
                }
                // A request that never reached the server can be sent again whatever its method.
                let retryable = failure.neverSent || (idempotent && failure.retryable)
                guard retryable, failureRetries < configuration.maxRetries else {
                    if failure.retryable, !retryable {
                        configuration.logger.info("not retrying \(method) \(url) after \(failure.summary): a POST is retried only when marked retry-safe")
                    }
                    throw await finalError(failure, method: method, url: url, attempts: attempts)
                }
                failureRetries += 1
                let wait = backoff(retry: failureRetries)
                configuration.logger.info(
                    "retrying \(method) \(url) in \(Self.format(wait)) after \(failure.summary) (retry \(failureRetries) of \(configuration.maxRetries))")
                try await Task.sleep(for: wait)
            }
        }
    }

    private enum Outcome {
        case response(Response)
        case failure(TransportFailure)
    }

    /// One request on the wire, in one of the client's `maxConcurrentRequests` slots, paced by the rate limiter.
    private func attempt(
        _ request: HTTPClientRequest, method: HTTPMethod, url: String, path: String, isRetry: Bool
    ) async throws -> Outcome {
        try await gate.enter()
        do {
            let outcome = try await exchange(request, method: method, url: url, path: path, isRetry: isRetry)
            gate.leave()
            return outcome
        } catch {
            gate.leave()
            throw error
        }
    }

    private func exchange(
        _ request: HTTPClientRequest, method: HTTPMethod, url: String, path: String, isRetry: Bool
    ) async throws -> Outcome {
        try await limiter.acquire()
        statistics.sent(method: method, isRetry: isRetry)
        let logger = configuration.logger
        logger.debug("→ \(method) \(url)")
        logger.trace("request headers: \(Self.redacted(request.headers))")
        let start = ContinuousClock.now
        var budget = configuration.requestTimeout
        if let end = configuration.deadline { budget = min(budget, max(.zero, end - start)) }
        let deadline = NIODeadline.now() + budget.timeAmount
        do {
            let answer = try await httpClient.execute(request, deadline: deadline, logger: nil)
            let body: ByteBuffer
            do {
                body = try await answer.body.collect(upTo: configuration.maxResponseBytes)
            } catch is NIOTooManyBytesError {
                limiter.complete(remaining: nil, resetSeconds: nil)
                throw CogramAPIError.invalidResponse(.init(
                    method: method.rawValue, url: url, status: Int(answer.status.code),
                    problem: .tooLarge(limit: configuration.maxResponseBytes)))
            }
            let status = Int(answer.status.code)
            // On a 429, Retry-After alone says how long to wait (see `send`); its X-RateLimit-* may describe the
            // whole window rather than the pause the server asks for.
            let paced = status != 429
            let reset = paced ? resetSeconds(answer.headers, method: method, url: url) : nil
            limiter.complete(
                remaining: paced ? answer.headers.first(name: "X-RateLimit-Remaining").flatMap { Int($0) } : nil,
                resetSeconds: reset)
            logger.debug("← \(status) \(method) \(url) (\(Self.format(ContinuousClock.now - start)))")
            logger.trace("response headers: \(Self.redacted(answer.headers))")
            return .response(Response(status: status, headers: answer.headers, body: body))
        } catch let error as CogramAPIError {
            throw error
        } catch {
            limiter.complete(remaining: nil, resetSeconds: nil)
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            let failure = TransportFailure(classifying: error, key: configuration.apiKey)
            logger.debug("✗ \(method) \(url) failed after \(Self.format(ContinuousClock.now - start)): \(failure.summary)")
            return .failure(failure)
        }
    }

    /// The error for a failure after the last attempt: a refused certificate is examined to say why; a failed
    /// connection through a proxy is the proxy's.
    func finalError(_ failure: TransportFailure, method: HTTPMethod, url: String, attempts: Int) async -> CogramAPIError {
        var failure = failure
        if case .tls(certificate: true) = failure.kind, failure.certificate == nil,
            let parsed = URL(string: url), let host = parsed.host
        {
            let port = parsed.port ?? (parsed.scheme == "http" ? 80 : 443)
            let finding = await TLSDiagnosis.diagnose(
                host: host, port: port, proxy: configuration.proxy, timeout: configuration.connectTimeout)
            failure.reason = finding.reason
            failure.certificate = finding.problem
        }
        if configuration.proxy != nil, failure.kind == .connect || failure.kind == .connectTimeout {
            failure.reason = "could not connect to the proxy (\(failure.summary))"
            failure.kind = .proxy
        }
        var error = failure.error(method: method, url: url, attempts: attempts, configuration: configuration)
        if case .transport(var transport) = error, let proxy = configuration.proxy {
            transport.proxy = "\(proxy) (from \(proxy.source))"
            error = .transport(transport)
        }
        return error
    }

    /// The URL of a redirect's `Location` when it has the request's origin (scheme, host, port); nil otherwise.
    static func sameOriginTarget(_ location: String, from url: String) -> String? {
        guard !location.isEmpty, let base = URL(string: url), let next = URL(string: location, relativeTo: base)?.absoluteURL,
            next.scheme?.lowercased() == base.scheme?.lowercased(), next.host?.lowercased() == base.host?.lowercased(),
            (next.port ?? defaultPort(next)) == (base.port ?? defaultPort(base)), next.user == nil
        else { return nil }
        return next.absoluteString
    }

    private static func defaultPort(_ url: URL) -> Int { url.scheme?.lowercased() == "http" ? 80 : 443 }

    /// `X-RateLimit-Reset` as seconds from now, capped; a cap is logged (a warning the first time).
    private func resetSeconds(_ headers: HTTPHeaders, method: HTTPMethod, url: String) -> Double? {
        guard let value = headers.first(name: "X-RateLimit-Reset"), let reset = RateLimitHeaders.reset(value) else {
            return nil
        }
        if reset.capped {
            let message: Logger.Message = "\(method) \(url): X-RateLimit-Reset \(SafeText.clean(value, limit: 40)) (read as \(reset.format.rawValue)) means a wait of \(Self.format(.seconds(reset.requested))); waiting at most \(Int(RateLimitHeaders.maxResetWait)) s instead"
            if statistics.firstResetCap() {
                configuration.logger.warning(message)
            } else {
                configuration.logger.info(message)
            }
        }
        return reset.seconds
    }

    func makeProbeRequest(url: String) -> HTTPClientRequest {
        makeRequest(.GET, url: url, body: nil)
    }

    private func makeRequest(_ method: HTTPMethod, url: String, body: Data?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = commonHeaders
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        return request
    }

    /// Full jitter: a random wait in `0 ..< min(cap, base · 2^(retry-1))`.
    func backoff(retry: Int) -> Duration {
        let base = configuration.retryBaseDelay.seconds
        let ceiling = min(configuration.retryMaxDelay.seconds, base * pow(2, Double(max(0, retry - 1))))
        return .seconds(Double.random(in: 0...max(0, ceiling)))
    }

    // MARK: - Errors

    private func apiError(_ response: Response, method: HTTPMethod, path: String, url: String, attempts: Int) -> CogramAPIError {
        let data = Data(buffer: response.body)
        let retryAfter = Self.retryAfterSeconds(response.headers).map { Int($0) }
        if let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: data) {
            return .api(.init(
                method: method.rawValue, path: path, status: response.status, code: redactKey(envelope.error.code, limit: 60),
                message: redactKey(envelope.error.message),
                details: (envelope.error.details ?? []).prefix(50).map {
                    .init(field: redactKey($0.field, limit: 200), message: redactKey($0.message, limit: 200))
                },
                attempts: attempts, retryAfterSeconds: retryAfter, url: url))
        }
        // Not the contract's envelope (a proxy's HTML page, say): keep a short excerpt, cut only after the key is
        // redacted (a key cut in half is no longer found whole).
        let text = String(decoding: data.prefix(Self.excerptScanBytes), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        let reason = HTTPResponseStatus(statusCode: response.status).reasonPhrase
        return .api(.init(
            method: method.rawValue, path: path, status: response.status, code: "",
            message: redactKey(text.isEmpty ? reason : text, limit: 200), attempts: attempts, retryAfterSeconds: retryAfter, url: url))
    }

    /// How much of a body that is not the contract's JSON is redacted, of which an excerpt is shown.
    static let excerptScanBytes = 64 << 10

    /// Text a server supplied, made safe for messages: the key (should a server echo it) replaced by `***`,
    /// control characters escaped, the length bounded.
    func redactKey(_ text: String, limit: Int = SafeText.maximumLength) -> String {
        SafeText.clean(text, redacting: configuration.apiKey, limit: limit)
    }

    /// Decodes a 2xx answer; one that does not fit says where and how (see `ResponseShape`).
    /// `url` is only needed for a message, so it is made only then.
    func decode<T: Decodable>(
        _ type: T.Type, from response: Response, method: HTTPMethod, url: @autoclosure () -> String
    ) throws -> T {
        let data = Data(buffer: response.body)
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw CogramAPIError.invalidResponse(.init(
                method: method.rawValue, url: url(), status: response.status,
                problem: ResponseShape.problem(decoding: error, body: data, key: configuration.apiKey)))
        }
    }

    /// The full URL of a request target (a path starting with `/v1`, with its query).
    func url(_ target: String) -> String {
        base + target
    }

    // MARK: - Helpers

    /// `Retry-After` in seconds, written as seconds or as an HTTP-date.
    static func retryAfterSeconds(_ headers: HTTPHeaders) -> Double? {
        headers.first(name: "Retry-After").flatMap { RateLimitHeaders.retryAfter($0)?.seconds }
    }

    static func trimmedBase(_ url: URL) -> String {
        var base = url.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// RFC 3986 unreserved characters; everything else is percent-encoded.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encodeComponent(_ s: String) -> String {
        // Ids, page numbers and filter values are nearly always unreserved already; Foundation's encoding is slow.
        if s.utf8.allSatisfy(isUnreserved) { return s }
        return s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }

    /// Whether a byte is one of `unreserved`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    static func encodeQuery(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { "\(encodeComponent($0.0))=\(encodeComponent($0.1))" }.joined(separator: "&")
    }

    /// Header values cannot carry line breaks or other control characters.
    static func headerSafe(_ s: String) -> String {
        ControlCharacters.removing(from: s).trimmingWhitespace()
    }

    /// Headers for logs: the `Authorization` value is reduced to its scheme.
    static func redacted(_ headers: HTTPHeaders) -> String {
        headers.map { name, value in
            if name.lowercased() == "authorization" {
                let scheme = value.split(separator: " ").first.map(String.init) ?? ""
                return "\(name): \(scheme.isEmpty ? "" : scheme + " ")***"
            }
            return "\(name): \(value)"
        }.joined(separator: ", ")
    }

    static func format(_ d: Duration) -> String {
        let ms = d.seconds * 1000
        return ms < 10_000 ? "\(Int(ms.rounded())) ms" : "\((ms / 100).rounded() / 10) s"
    }
}

/// Request counters of one client. A lock rather than an actor: counting is a few additions, and an actor's hop
/// on every request cost more than the count.
final class ClientStatistics: Sendable {
    private struct State {
        var count = RequestCount()
        var resetCapped = false
    }

    private let state = Mutex(State())

    var count: RequestCount { state.withLock { $0.count } }

    func sent(method: HTTPMethod, isRetry: Bool) {
        state.withLock { state in
            if method == .GET { state.count.reads += 1 } else { state.count.writes += 1 }
            if isRetry { state.count.retries += 1 }
        }
    }

    func rateLimited() {
        state.withLock { $0.count.rateLimited += 1 }
    }

    /// True the first time only: a capped `X-RateLimit-Reset` is worth one warning per run, not one per answer.
    func firstResetCap() -> Bool {
        state.withLock { state in
            defer { state.resetCapped = true }
            return !state.resetCapped
        }
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let c = components
        return .nanoseconds(c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000)
    }
}
