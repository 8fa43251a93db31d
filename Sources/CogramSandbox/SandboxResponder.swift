import CogramAPI
import Foundation
import Hummingbird
import NIOCore

/// Answers every request: static documents, then for the API: key check, rate limit, faults, routing,
/// authentication, the operation, audit and counters.
struct SandboxResponder: HTTPResponder {
    typealias Context = SandboxContext

    let store: SandboxStore
    let limiter: RateLimiter
    let faults: FaultInjector?
    let stats: StatsRecorder
    let maxBodyBytes: Int

    init(store: SandboxStore, options: SandboxOptions, stats: StatsRecorder) {
        self.store = store
        self.limiter = RateLimiter(limit: options.rateLimitPerMinute)
        self.faults = options.faults.isEnabled ? FaultInjector(options: options.faults) : nil
        self.stats = stats
        self.maxBodyBytes = options.maxBodyBytes
    }

    func respond(to request: Request, context: SandboxContext) async throws -> Response {
        let method = request.method.rawValue
        let path = request.uri.path
        if Route.isPublic(path: path) {
            let response = publicDocument(request)
            await stats.record(method: method, status: response.status.code)
            return response
        }
        await stats.begin()
        do {
            let response = try await api(request, context: context)
            await stats.end()
            await stats.record(method: method, status: response.status.code)
            return response
        } catch {
            // A `DroppedConnection` was already counted, before the connection was closed.
            await stats.end()
            throw error
        }
    }

    /// Thrown after closing the connection on purpose; nothing must be written.
    struct DroppedConnection: Error {}

    // MARK: - Documents

    private func publicDocument(_ request: Request) -> Response {
        switch Route.match(method: request.method, path: request.uri.path) {
        case .success(.openAPI):
            guard let data = SandboxResources.openAPI else { return missingResource() }
            return Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .success(.docs):
            guard let data = SandboxResources.docsPage else { return missingResource() }
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .success:
            return errorResponse(.notFound("no such route"), headers: [:])
        case .failure(let error):
            return errorResponse(error, headers: [:])
        }
    }

    private func missingResource() -> Response {
        errorResponse(
            APIError(
                status: .internalServerError, code: .internalError,
                message: "the sandbox's resource bundle (cogramctl_CogramSandbox.resources) was not found next to the binary"),
            headers: [:])
    }

    // MARK: - API pipeline

    private func api(_ request: Request, context: SandboxContext) async throws -> Response {
        let credential = Self.bearer(request.headers[.authorization])
        let keyCheck: KeyCheck?
        switch credential {
        case .token(let token): keyCheck = try await store.checkKey(token)
        case .missing: keyCheck = nil
        }
        let bucket: String
        switch keyCheck {
        case .valid(let identity): bucket = "key:" + identity.keyID
        default:
            if case .token(let token) = credential {
                bucket = "anon:" + SandboxStore.hash(key: token)
            } else {
                bucket = "anon:"
            }
        }
        let rate = await limiter.take(bucket)
        var headers: HTTPFields = [:]
        headers[.xRateLimitLimit] = String(rate.limit)
        headers[.xRateLimitRemaining] = String(rate.remaining)
        headers[.xRateLimitReset] = String(rate.resetSeconds)
        guard rate.allowed else {
            var error = APIError(
                status: .tooManyRequests, code: .rateLimitExceeded,
                message: "rate limit of \(rate.limit) requests per minute exceeded; retry in \(rate.resetSeconds)s")
            error.headers[.retryAfter] = String(rate.resetSeconds)
            return errorResponse(error, headers: headers)
        }

        let fault = await faults?.next() ?? .none
        if fault.latencyMilliseconds > 0 {
            try? await Task.sleep(for: .milliseconds(fault.latencyMilliseconds))
        }
        if fault.rateLimited {
            headers[.xRateLimitRemaining] = "0"
            var error = APIError(
                status: .tooManyRequests, code: .rateLimitExceeded, message: "rate limit exceeded (injected fault)")
            error.headers[.retryAfter] = "1"
            return errorResponse(error, headers: headers)
        }
        if fault.drop {
            // Counted before closing: a client that sees the connection close must also see it counted.
            await stats.record(method: request.method.rawValue, status: nil)
            try? await context.channel.close()
            throw DroppedConnection()
        }
        if let status = fault.errorBefore {
            return errorResponse(Self.injected(status), headers: headers)
        }

        let route: Route
        switch Route.match(method: request.method, path: request.uri.path) {
        case .success(let matched): route = matched
        case .failure(let error): return errorResponse(error, headers: headers)
        }

        let identity: KeyIdentity
        switch (credential, keyCheck) {
        case (.missing, _), (_, .none):
            return errorResponse(
                APIError(
                    status: .unauthorized, code: .apiKeyMissing,
                    message: "send the API key as 'Authorization: Bearer <key>'"),
                headers: headers)
        case (_, .invalid?):
            return errorResponse(
                APIError(status: .unauthorized, code: .apiKeyInvalid, message: "the API key is unknown or revoked"),
                headers: headers)
        case (_, .expired?):
            return errorResponse(
                APIError(status: .unauthorized, code: .apiKeyExpired, message: "the API key has expired"),
                headers: headers)
        case (_, .valid(let valid)?):
            identity = valid
        }

        var response: Response
        do {
            var body = Data()
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
                throw APIError.payloadTooLarge(limit: maxBodyBytes)
            }
            if route.hasBody {
                do {
                    let buffer = try await request.body.collect(upTo: maxBodyBytes)
                    body = Data(buffer.readableBytesView)
                } catch is NIOTooManyBytesError {
                    throw APIError.payloadTooLarge(limit: maxBodyBytes)
                }
            }
            let operation = Operations(store: store, orgID: identity.orgID)
            var query: [String: String] = [:]
            for parameter in request.uri.queryParameters where query[String(parameter.key)] == nil {
                query[String(parameter.key)] = String(parameter.value)
            }
            response = try await operation.perform(route, query: query, body: body)
            if let status = fault.errorAfter, request.method != .get, (200..<300).contains(response.status.code) {
                response = errorResponse(Self.injected(status), headers: [:])
            }
        } catch let error as APIError {
            response = errorResponse(error, headers: [:])
        } catch {
            response = errorResponse(
                APIError(status: .internalServerError, code: .internalError, message: "internal error: \(error)"),
                headers: [:])
        }
        for field in headers {
            response.headers.append(field)
        }
        if request.method != .get {
            try? await store.recordAudit(
                orgID: identity.orgID, method: request.method.rawValue, path: request.uri.path,
                status: response.status.code, actor: Self.auditActor(request.headers[.xForwardedUser]),
                keyName: identity.keyName)
        }
        return response
    }

    /// Longest `X-Forwarded-User` kept in the audit log, in Unicode scalars.
    static let maxActorLength = 256

    /// `X-Forwarded-User` as the audit log stores it.
    ///
    /// The HTTP parser already refuses CR, LF, NUL and most other control bytes in header values (400 before any
    /// of this runs); what can still arrive — tab, C1 controls and format characters such as bidirectional
    /// overrides, sent as UTF-8 — becomes U+FFFD, so that printing the log cannot forge lines, move the cursor
    /// or reorder text. Longer values are cut to `maxActorLength` scalars and end in `…`.
    static func auditActor(_ header: String?) -> String? {
        guard let header else { return nil }
        var scalars = String.UnicodeScalarView()
        for scalar in header.unicodeScalars.prefix(maxActorLength) {
            switch scalar.properties.generalCategory {
            case .control, .format: scalars.append("\u{FFFD}")
            default: scalars.append(scalar)
            }
        }
        if header.unicodeScalars.count > maxActorLength {
            scalars.append("…")
        }
        return String(scalars)
    }

    private static func injected(_ status: Int) -> APIError {
        status == 503
            ? APIError(status: .serviceUnavailable, code: .unavailable, message: "service unavailable (injected fault)")
            : APIError(status: .internalServerError, code: .internalError, message: "internal error (injected fault)")
    }

    private enum Credential {
        case missing
        case token(String)
    }

    private static func bearer(_ header: String?) -> Credential {
        guard let header else { return .missing }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .missing }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? .missing : .token(token)
    }
}

// MARK: - Responses

func errorResponse(_ error: APIError, headers: HTTPFields) -> Response {
    var all = headers
    for field in error.headers {
        all[field.name] = field.value
    }
    return jsonResponse(status: error.status, error.envelope, headers: all)
}

func jsonResponse(status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"internal_error","message":"encoding failed"}}"#.utf8)
    var all = headers
    all[.contentType] = "application/json"
    return Response(status: status, headers: all, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

extension HTTPFields.Element.Name {
    static let xRateLimitLimit = Self("X-RateLimit-Limit")!
    static let xRateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let xRateLimitReset = Self("X-RateLimit-Reset")!
    static let xForwardedUser = Self("X-Forwarded-User")!
}
