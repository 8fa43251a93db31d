import CogramAPI
import Foundation
import Hummingbird
import NIOCore

/// Answers every request: the static documents directly, the API through `SandboxPipeline`, and counts both.
struct SandboxResponder: HTTPResponder {
    typealias Context = SandboxContext

    let store: SandboxStore
    let stats: StatsRecorder
    let pipeline: any MiddlewareProtocol<Request, Response, SandboxContext>

    init(store: SandboxStore, options: SandboxOptions, stats: StatsRecorder) {
        self.store = store
        self.stats = stats
        self.pipeline = SandboxPipeline.steps(
            store: store, limiter: RateLimiter(limit: options.rateLimitPerMinute),
            faults: options.faults.isEnabled ? FaultInjector(options: options.faults) : nil, stats: stats,
            maxBodyBytes: options.maxBodyBytes, dialects: options.dialects)
    }

    func respond(to request: Request, context: SandboxContext) async throws -> Response {
        let method = request.method.rawValue
        let path = request.uri.path
        if Route.isPublic(path: path) {
            let response = publicDocument(request)
            stats.record(method: method, status: response.status.code)
            return response
        }
        stats.begin()
        do {
            let response = try await pipeline.handle(request, context: context) { request, context in
                try await SandboxPipeline.dispatch(store: store, request: request, context: context)
            }
            stats.finish(method: method, status: response.status.code)
            return response
        } catch {
            // A `DroppedConnection` was already counted, before the connection was closed.
            stats.end()
            throw error
        }
    }

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

    // MARK: - Audit

    /// Longest `X-Forwarded-User` kept in the audit log, in Unicode scalars.
    static let maxActorLength = 256
    /// Longest path kept in the audit log, in Unicode scalars.
    static let maxAuditPathLength = 1024
    /// Longest key name kept in the audit log, in Unicode scalars.
    static let maxAuditKeyNameLength = 128

    /// `X-Forwarded-User` as the audit log stores it (see `auditText`).
    static func auditActor(_ header: String?) -> String? {
        header.map { auditText($0, limit: maxActorLength) }
    }

    /// Text as the audit log stores it.
    ///
    /// The HTTP parser already refuses CR, LF, NUL and most other control bytes in header values (400 before any
    /// of this runs); what can still arrive — tab, C1 controls, format characters such as bidirectional
    /// overrides, and the line and paragraph separators U+2028 and U+2029, sent as UTF-8 — becomes U+FFFD, so
    /// that printing the log cannot forge lines, move the cursor or reorder text. Longer values are cut to
    /// `limit` scalars and end in `…`.
    static func auditText(_ text: String, limit: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(limit) {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator: scalars.append("\u{FFFD}")
            default: scalars.append(scalar)
            }
        }
        if text.unicodeScalars.count > limit {
            scalars.append("…")
        }
        return String(scalars)
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
