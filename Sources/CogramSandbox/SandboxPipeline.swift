import CogramAPI
import Foundation
import Hummingbird
import NIOCore

/// The API's request pipeline, outermost step first. Each step does one thing and hands the request on (or
/// answers it); what it learns goes into `SandboxContext` for the steps after it.
///
/// Order matters and is part of the contract the tests pin: the rate limit counts every request, even one that
/// later fails; faults happen before routing and authentication (so a broken connection looks broken whatever
/// was sent); routing precedes authentication (an unknown path is 404 with any key); only requests that reach
/// an operation with a valid key are audited, with the status the client finally sees.
enum SandboxPipeline {
    @MiddlewareFixedTypeBuilder<Request, Response, SandboxContext>
    static func steps(
        store: SandboxStore, limiter: RateLimiter, faults: FaultInjector?, stats: StatsRecorder, maxBodyBytes: Int,
        dialects: Set<SandboxDialect>
    ) -> some RouterMiddleware<SandboxContext> {
        DialectSurfaceStep(dialects: dialects)
        KeyStep(store: store)
        RateLimitStep(limiter: limiter)
        ErrorResponseStep()
        FaultStep(injector: faults, stats: stats)
        RoutingStep()
        AuthenticationStep()
        DialectStep(dialects: dialects, store: store, stats: stats, lostCreate: DialectStep.LostCreate())
        AuditStep(store: store)
        FaultAfterStep()
        BodyStep(maxBytes: maxBodyBytes)
    }

    /// The last step: the operation itself.
    static func dispatch(store: SandboxStore, request: Request, context: SandboxContext) async throws -> Response {
        guard let route = context.route, let identity = context.identity else {
            throw APIError(status: .internalServerError, code: .internalError, message: "request reached no route")
        }
        let operations = Operations(
            store: store, orgID: identity.orgID, uniqueExternalIDs: !context.dialects.contains(.noUniqueExternalID))
        return try await operations.perform(route, query: context.query, body: context.body)
    }
}

/// Thrown after closing the connection on purpose; nothing must be written.
struct DroppedConnection: Error {}

/// Reads the bearer token and checks the key.
struct KeyStep: RouterMiddleware {
    typealias Context = SandboxContext
    let store: SandboxStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.credential = Credential(authorization: request.headers[.authorization])
        if case .token(let token) = context.credential {
            context.keyCheck = try await store.checkKey(token)
        }
        return try await next(request, context)
    }
}

/// Counts the request against its bucket: 429 over the limit, else the rate-limit headers on whatever answer
/// comes back.
struct RateLimitStep: RouterMiddleware {
    typealias Context = SandboxContext
    let limiter: RateLimiter

    /// One bucket per valid key; requests without one share one bucket per client address, whatever token they
    /// present (a bucket per token would let a client that guesses keys start a fresh budget with each guess).
    static func bucket(_ context: Context) -> String {
        if case .valid(let identity)? = context.keyCheck { return "key:" + identity.keyID }
        return "anon:" + (context.channel.remoteAddress?.ipAddress ?? "")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let rate = limiter.take(Self.bucket(context))
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
        var response = try await next(request, context)
        // A step below may have set one of them (an injected 429 says nothing remains); its value stands.
        for field in headers where response.headers[field.name] == nil {
            response.headers.append(field)
        }
        return response
    }
}

/// Turns every error of the steps below into the contract's JSON answer, through `APIError(_:)`.
struct ErrorResponseStep: RouterMiddleware {
    typealias Context = SandboxContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let dropped as DroppedConnection {
            throw dropped
        } catch {
            return errorResponse(APIError(error), headers: [:])
        }
    }
}

/// Fault injection before the request is handled: latency, 429 bursts, dropped connections and 5xx answers
/// (drawn, or from a rule that names the request).
struct FaultStep: RouterMiddleware {
    typealias Context = SandboxContext
    let injector: FaultInjector?
    let stats: StatsRecorder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let injector else { return try await next(request, context) }
        let fault = injector.next(method: request.method.rawValue, path: request.uri.path)
        if fault.latencyMilliseconds > 0 {
            try? await Task.sleep(for: .milliseconds(fault.latencyMilliseconds))
        }
        if fault.rateLimited {
            var error = APIError(
                status: .tooManyRequests, code: .rateLimitExceeded, message: "rate limit exceeded (injected fault)")
            error.headers[.retryAfter] = String(fault.retryAfterSeconds)
            error.headers[.xRateLimitRemaining] = "0"
            throw error
        }
        if fault.drop {
            // Counted before closing: a client that sees the connection close must also see it counted.
            stats.record(method: request.method.rawValue, status: nil)
            try? await context.channel.close()
            throw DroppedConnection()
        }
        if let status = fault.errorBefore {
            throw APIError.injected(status)
        }
        var context = context
        context.fault = fault
        return try await next(request, context)
    }
}

/// Fault injection after the operation: a write that succeeded is answered with a 5xx anyway.
struct FaultAfterStep: RouterMiddleware {
    typealias Context = SandboxContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        if let status = context.fault.errorAfter, request.method != .get, (200..<300).contains(response.status.code) {
            return errorResponse(APIError.injected(status), headers: [:])
        }
        return response
    }
}

/// Matches the path and method (404 and 405 with the contract's body) and reads the query.
struct RoutingStep: RouterMiddleware {
    typealias Context = SandboxContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.route = try Route.match(method: request.method, path: request.uri.path).get()
        for parameter in request.uri.queryParameters where context.query[String(parameter.key)] == nil {
            context.query[String(parameter.key)] = String(parameter.value)
        }
        return try await next(request, context)
    }
}

/// Turns the key step's verdict into an identity, or a 401.
struct AuthenticationStep: RouterMiddleware {
    typealias Context = SandboxContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        switch (context.credential, context.keyCheck) {
        case (.missing, _), (_, .none):
            throw APIError(
                status: .unauthorized, code: .apiKeyMissing, message: "send the API key as 'Authorization: Bearer <key>'")
        case (_, .invalid?):
            throw APIError(status: .unauthorized, code: .apiKeyInvalid, message: "the API key is unknown or revoked")
        case (_, .expired?):
            throw APIError(status: .unauthorized, code: .apiKeyExpired, message: "the API key has expired")
        case (_, .valid(let identity)?):
            context.identity = identity
        }
        return try await next(request, context)
    }
}

/// Records every write with the status its client gets.
struct AuditStep: RouterMiddleware {
    typealias Context = SandboxContext
    let store: SandboxStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, let identity = context.identity else { return try await next(request, context) }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            await record(request, identity: identity, status: APIError(error).status.code)
            throw error
        }
        await record(request, identity: identity, status: response.status.code)
        return response
    }

    private func record(_ request: Request, identity: KeyIdentity, status: Int) async {
        try? await store.recordAudit(
            orgID: identity.orgID, method: request.method.rawValue,
            path: SandboxResponder.auditText(request.uri.path, limit: SandboxResponder.maxAuditPathLength), status: status,
            actor: SandboxResponder.auditActor(request.headers[.xForwardedUser]),
            keyName: SandboxResponder.auditText(identity.keyName, limit: SandboxResponder.maxAuditKeyNameLength))
    }
}

/// Reads the body of the routes that take one, up to the size limit (413 beyond it, chunked uploads too).
struct BodyStep: RouterMiddleware {
    typealias Context = SandboxContext
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw APIError.payloadTooLarge(limit: maxBytes)
        }
        guard context.route?.hasBody == true else { return try await next(request, context) }
        var context = context
        do {
            let buffer = try await request.body.collect(upTo: maxBytes)
            context.body = Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: maxBytes)
        }
        return try await next(request, context)
    }
}

extension APIError {
    /// The answer of an injected fault: a 5xx, or the 409 of a `--fault-fail` rule.
    static func injected(_ status: Int) -> APIError {
        switch status {
        case 409: .conflict("the request conflicts with the resource's state (injected fault)")
        case 503: APIError(status: .serviceUnavailable, code: .unavailable, message: "service unavailable (injected fault)")
        default: APIError(status: .internalServerError, code: .internalError, message: "internal error (injected fault)")
        }
    }
}
