import CogramAPI
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// The dialects that change what a request means or what its record-shaped answer holds: filters, external_id
/// uniqueness, the lost first create, unknown enum values, 204 archives and the `data` envelope. Sits after
/// authentication (it needs the route and the organization) and before the audit (a lost create was committed,
/// and is audited as such).
struct DialectStep: RouterMiddleware {
    typealias Context = SandboxContext
    let dialects: Set<SandboxDialect>
    let store: SandboxStore
    let stats: StatsRecorder
    let lostCreate: LostCreate

    /// Whether the first create has been lost yet; one per server.
    actor LostCreate {
        private var done = false

        /// True exactly once.
        func take() -> Bool {
            defer { done = true }
            return !done
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !dialects.isEmpty, let route = context.route, let identity = context.identity else {
            return try await next(request, context)
        }
        var context = context
        context.dialects = dialects
        if dialects.contains(.ignoreFilters) {
            context.query["external_id"] = nil
            context.query["email"] = nil
        }
        var response = try await next(request, context)
        guard (200..<300).contains(response.status.code) else { return response }
        if dialects.contains(.loseFirstCreate), route == .createProject, await lostCreate.take() {
            // Committed (and audited) below; the client never hears of it.
            stats.record(method: request.method.rawValue, status: nil)
            try? await context.channel.close()
            throw DroppedConnection()
        }
        if dialects.contains(.delete204), case .archiveProject = route {
            var headers = response.headers
            headers[.contentType] = nil
            headers[.contentLength] = nil
            return Response(status: .noContent, headers: headers)
        }
        let unknown = dialects.contains(.unknownEnumValues) ? try await store.unknownValues(orgID: identity.orgID) : [:]
        guard !unknown.isEmpty || dialects.contains(.dataEnvelope) else { return response }
        guard var json = try await response.jsonObject() else { return response }
        if !unknown.isEmpty {
            json = DialectJSON.applying(unknown, to: json, route: route)
        }
        if dialects.contains(.dataEnvelope) {
            json = DialectJSON.dataEnvelope(json)
        }
        response.replaceJSON(json)
        return response
    }
}

/// The dialects that change every answer on the wire: rate-limit headers and extra fields. Outermost, so that
/// they reach 429s and errors too.
struct DialectSurfaceStep: RouterMiddleware {
    typealias Context = SandboxContext
    let dialects: Set<SandboxDialect>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard !dialects.isEmpty else { return response }
        let now = Date()
        if dialects.contains(.epochReset), let raw = response.headers[.xRateLimitReset], let seconds = Int(raw) {
            response.headers[.xRateLimitReset] = String(Int(now.timeIntervalSince1970.rounded(.up)) + seconds)
        }
        if dialects.contains(.retryAfterDate), response.status == .tooManyRequests,
            let raw = response.headers[.retryAfter], let seconds = Int(raw)
        {
            let at = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.up) + Double(seconds))
            response.headers[.retryAfter] = DialectJSON.httpDate(at)
        }
        if dialects.contains(.extraFields), let json = try await response.jsonObject() {
            response.replaceJSON(DialectJSON.addingExtraFields(json))
        }
        return response
    }
}

/// The JSON rewrites of the dialects, on `JSONValue`s.
enum DialectJSON {
    /// The fields `extra-fields` adds to every object.
    static let extraFields: [String: JSONValue] = [
        "x_cogram_revision": .string("2031-01-01"),
        "x_cogram_meta": .object([
            "flags": .array([.string("beta"), .string("audit")]), "score": .number(0.5), "enabled": .bool(true), "note": .null,
        ]),
    ]

    static func addingExtraFields(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var out = object.mapValues(addingExtraFields)
            for (key, extra) in extraFields where out[key] == nil { out[key] = extra }
            return .object(out)
        case .array(let array):
            return .array(array.map(addingExtraFields))
        default:
            return value
        }
    }

    /// `{"items", "page", "page_size", "total"}` → `{"data", "meta": {"page", "page_size", "total"}}`.
    static func dataEnvelope(_ value: JSONValue) -> JSONValue {
        guard let object = value.objectValue, let items = object["items"] else { return value }
        var meta: [String: JSONValue] = [:]
        for key in ["page", "page_size", "total"] { meta[key] = object[key] }
        return .object(["data": items, "meta": .object(meta)])
    }

    /// Puts the organization's unknown values into the records of an answer to `route`.
    static func applying(_ unknown: [SandboxStore.UnknownValue: String], to value: JSONValue, route: Route) -> JSONValue {
        func records(_ value: JSONValue, _ transform: ([String: JSONValue]) -> [String: JSONValue]) -> JSONValue {
            guard var object = value.objectValue else { return value }
            // Like a cast to a list of objects: a list with anything else in it is left as it is.
            if let items = object["items"]?.arrayValue, case let objects = items.compactMap(\.objectValue), objects.count == items.count {
                object["items"] = .array(objects.map { .object(transform($0)) })
                return .object(object)
            }
            return .object(transform(object))
        }
        switch route {
        case .listProjects, .createProject, .getProject, .updateProject, .archiveProject:
            return records(value) { project in
                var project = project
                if let id = project["id"]?.stringValue, let status = unknown[.projectStatus(projectID: id)] {
                    project["status"] = .string(status)
                }
                return project
            }
        case .listUsers, .updateUser:
            return records(value) { user in
                var user = user
                guard let id = user["id"]?.stringValue else { return user }
                if let role = unknown[.userRole(userID: id)] { user["role"] = .string(role) }
                if let status = unknown[.userStatus(userID: id)] { user["status"] = .string(status) }
                return user
            }
        case .listMembers(let projectID), .putMember(let projectID, _):
            return records(value) { member in
                var member = member
                if let userID = member["user_id"]?.stringValue, let role = unknown[.memberRole(projectID: projectID, userID: userID)] {
                    member["role"] = .string(role)
                }
                return member
            }
        case .openAPI, .docs, .deleteMember:
            return value
        }
    }

    /// RFC 9110's IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

extension Response {
    /// The body parsed as JSON, when it is a JSON answer of the sandbox's own (always one buffer).
    func jsonObject() async throws -> JSONValue? {
        guard headers[.contentType] == "application/json" else { return nil }
        let collector = BodyCollector()
        try await body.write(collector)
        return JSONValue(json: Data(collector.buffer.readableBytesView))
    }

    /// Replaces the body with `value` as JSON, sorted like every other answer.
    mutating func replaceJSON(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return }
        headers[.contentLength] = nil
        body = .init(byteBuffer: ByteBuffer(bytes: data))
    }
}

/// Gathers a response body in memory.
private final class BodyCollector: ResponseBodyWriter, Sendable {
    private let collected = Mutex(ByteBuffer())

    var buffer: ByteBuffer { collected.withLock { $0 } }

    func write(_ buffer: ByteBuffer) async throws {
        collected.withLock { collected in
            var copy = buffer
            collected.writeBuffer(&copy)
        }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
