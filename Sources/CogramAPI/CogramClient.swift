import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

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

    /// A client over an `HTTPClient` the caller owns; make it with `makeHTTPClient(for:)` to get the timeouts and
    /// the redirect policy of `configuration`.
    public init(configuration: ClientConfiguration, httpClient: HTTPClient) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.limiter = RateLimiter(requestsPerMinute: configuration.requestsPerMinute)
        self.gate = ConcurrencyGate(limit: configuration.maxConcurrentRequests)
    }

    /// An `HTTPClient` with the configured connect and read timeouts, no redirects (the `Authorization` header
    /// must not follow one to another host), and connection failures reported at once (retries are ours).
    public static func makeHTTPClient(for configuration: ClientConfiguration) -> HTTPClient {
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: configuration.connectTimeout.timeAmount, read: configuration.readTimeout.timeAmount)
        http.redirectConfiguration = .disallow
        http.connectionPool.retryConnectionEstablishment = false
        // AsyncHTTPClient's default of 8 connections per host would cap a higher `--parallelism` silently.
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, configuration.maxConcurrentRequests)
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
        let result: Result<T, any Error>
        do {
            result = .success(try await body(client))
        } catch {
            result = .failure(error)
        }
        do {
            try await http.shutdown()
        } catch {
            if case .success = result { throw error }
        }
        return try result.get()
    }

    /// Requests sent so far, retries included.
    public var requestCount: RequestCount {
        get async { await statistics.count }
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
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil, retrySafe: Bool = false
    ) async throws -> Response {
        let target = path + Self.encodeQuery(query)
        let url = Self.trimmedBase(configuration.baseURL) + target
        let request = makeRequest(method, url: url, body: body)
        let idempotent = method != .POST || retrySafe
        var attempts = 0
        var failureRetries = 0
        var rateLimitWaits = 0

        while true {
            attempts += 1
            let outcome = try await attempt(request, method: method, url: url, path: target, isRetry: attempts > 1)
            switch outcome {
            case .response(let response) where (200..<300).contains(response.status):
                return response

            case .response(let response) where response.status == 429:
                await statistics.rateLimited()
                rateLimitWaits += 1
                let retryAfter = Self.retryAfterSeconds(response.headers)
                let tooLong = retryAfter.map { Duration.seconds($0) > configuration.maxRetryAfter } ?? false
                guard rateLimitWaits <= configuration.maxRateLimitWaits, !tooLong else {
                    throw apiError(response, method: method, path: target, attempts: attempts)
                }
                let wait = retryAfter.map { Duration.seconds($0) } ?? backoff(retry: rateLimitWaits)
                await limiter.block(for: wait)
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
                    throw apiError(response, method: method, path: target, attempts: attempts)
                }
                failureRetries += 1
                let wait = Self.retryAfterSeconds(response.headers).map { min(Duration.seconds($0), configuration.retryMaxDelay) }
                    ?? backoff(retry: failureRetries)
                configuration.logger.info(
                    "retrying \(method) \(url) in \(Self.format(wait)) after HTTP \(response.status) (retry \(failureRetries) of \(configuration.maxRetries))")
                try await Task.sleep(for: wait)

            case .failure(let failure):
                // A request that never reached the server can be sent again whatever its method.
                let retryable = failure.neverSent || (idempotent && failure.retryable)
                guard retryable, failureRetries < configuration.maxRetries else {
                    if failure.retryable, !retryable {
                        configuration.logger.info("not retrying \(method) \(url) after \(failure.summary): a POST is retried only when marked retry-safe")
                    }
                    throw failure.error(method: method, url: url, attempts: attempts, configuration: configuration)
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
            await gate.leave()
            return outcome
        } catch {
            await gate.leave()
            throw error
        }
    }

    private func exchange(
        _ request: HTTPClientRequest, method: HTTPMethod, url: String, path: String, isRetry: Bool
    ) async throws -> Outcome {
        try await limiter.acquire()
        await statistics.sent(method: method, isRetry: isRetry)
        let logger = configuration.logger
        logger.debug("→ \(method) \(url)")
        logger.trace("request headers: \(Self.redacted(request.headers))")
        let start = ContinuousClock.now
        let deadline = NIODeadline.now() + (configuration.connectTimeout + configuration.readTimeout).timeAmount
        do {
            let answer = try await httpClient.execute(request, deadline: deadline, logger: nil)
            let body: ByteBuffer
            do {
                body = try await answer.body.collect(upTo: configuration.maxResponseBytes)
            } catch is NIOTooManyBytesError {
                await limiter.complete(remaining: nil, resetSeconds: nil)
                throw CogramAPIError.invalidResponse(.init(
                    method: method.rawValue, path: path, status: Int(answer.status.code),
                    reason: "the response is larger than the limit of \(configuration.maxResponseBytes) bytes"))
            }
            let status = Int(answer.status.code)
            // On a 429, Retry-After alone says how long to wait (see `send`); its X-RateLimit-* may describe the
            // whole window rather than the pause the server asks for.
            let paced = status != 429
            await limiter.complete(
                remaining: paced ? answer.headers.first(name: "X-RateLimit-Remaining").flatMap { Int($0) } : nil,
                resetSeconds: paced ? answer.headers.first(name: "X-RateLimit-Reset").flatMap { Double($0) } : nil)
            logger.debug("← \(status) \(method) \(url) (\(Self.format(ContinuousClock.now - start)))")
            logger.trace("response headers: \(Self.redacted(answer.headers))")
            return .response(Response(status: status, headers: answer.headers, body: body))
        } catch let error as CogramAPIError {
            throw error
        } catch {
            await limiter.complete(remaining: nil, resetSeconds: nil)
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            let failure = TransportFailure(classifying: error)
            logger.debug("✗ \(method) \(url) failed after \(Self.format(ContinuousClock.now - start)): \(failure.summary)")
            return .failure(failure)
        }
    }

    private func makeRequest(_ method: HTTPMethod, url: String, body: Data?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.apiKey.unredactedValue)")
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        request.headers.add(name: "Accept", value: "application/json")
        if let actor = configuration.actor.map(Self.headerSafe), !actor.isEmpty {
            request.headers.add(name: "X-Forwarded-User", value: actor)
        }
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

    private func apiError(_ response: Response, method: HTTPMethod, path: String, attempts: Int) -> CogramAPIError {
        let data = Data(buffer: response.body)
        let retryAfter = Self.retryAfterSeconds(response.headers).map { Int($0) }
        if let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: data) {
            return .api(.init(
                method: method.rawValue, path: path, status: response.status, code: envelope.error.code,
                message: redactKey(envelope.error.message),
                details: (envelope.error.details ?? []).map { .init(field: redactKey($0.field), message: redactKey($0.message)) },
                attempts: attempts, retryAfterSeconds: retryAfter))
        }
        // Not the contract's envelope (a proxy's HTML page, say): keep a short excerpt.
        let text = String(decoding: data.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        let reason = HTTPResponseStatus(statusCode: response.status).reasonPhrase
        return .api(.init(
            method: method.rawValue, path: path, status: response.status, code: "",
            message: redactKey(text.isEmpty ? reason : text), attempts: attempts, retryAfterSeconds: retryAfter))
    }

    /// The key never appears in an error, even if a server echoes it.
    func redactKey(_ text: String) -> String {
        let key = configuration.apiKey.unredactedValue
        guard key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "***")
    }

    func decode<T: Decodable>(_ type: T.Type, from response: Response, method: HTTPMethod, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: response.body))
        } catch {
            throw CogramAPIError.invalidResponse(.init(
                method: method.rawValue, path: path, status: response.status,
                reason: redactKey(Self.describe(decodingError: error))))
        }
    }

    private static func describe(decodingError error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)' at \(at(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "unexpected value at \(at(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "invalid JSON at \(at(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    // MARK: - Helpers

    static func retryAfterSeconds(_ headers: HTTPHeaders) -> Double? {
        guard let value = headers.first(name: "Retry-After"), let seconds = Int(value.trimmingCharacters(in: .whitespaces)),
            seconds >= 0
        else { return nil }
        return Double(seconds)
    }

    static func trimmedBase(_ url: URL) -> String {
        var base = url.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// RFC 3986 unreserved characters; everything else is percent-encoded.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encodeComponent(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }

    static func encodeQuery(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { "\(encodeComponent($0.0))=\(encodeComponent($0.1))" }.joined(separator: "&")
    }

    /// Header values cannot carry line breaks or other control characters.
    static func headerSafe(_ s: String) -> String {
        String(s.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.map(Character.init))
            .trimmingCharacters(in: .whitespaces)
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

/// Request counters of one client.
actor ClientStatistics {
    private(set) var count = RequestCount()

    func sent(method: HTTPMethod, isRetry: Bool) {
        if method == .GET { count.reads += 1 } else { count.writes += 1 }
        if isRetry { count.retries += 1 }
    }

    func rateLimited() {
        count.rateLimited += 1
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let c = components
        return .nanoseconds(c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000)
    }
}
