import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One answer to a diagnostic request, whatever its status.
public struct ProbeAnswer: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data
    public var elapsed: Duration

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Whether the body parses as JSON.
    public var isJSON: Bool {
        JSONValue(json: body) != nil
    }
}

extension CogramClient {
    /// Sends one GET, once, and returns whatever came back: any status, or the transport failure as the
    /// `CogramAPIError` the client would throw. For `cogramctl doctor`, which must see answers the client refuses.
    /// `authorized: false` leaves the `Authorization` header out.
    public func probe(_ path: String, query: [(String, String)] = [], authorized: Bool = true) async -> Result<ProbeAnswer, CogramAPIError> {
        let target = path + Self.encodeQuery(query)
        let url = url(target)
        var request = makeProbeRequest(url: url)
        if !authorized || configuration.apiKey.isEmpty { request.headers.remove(name: "Authorization") }
        let start = ContinuousClock.now
        do {
            let deadline = NIODeadline.now() + configuration.requestTimeout.timeAmount
            let answer = try await httpClient.execute(request, deadline: deadline, logger: nil)
            let body = try await answer.body.collect(upTo: configuration.maxResponseBytes)
            return .success(ProbeAnswer(
                status: Int(answer.status.code), headers: answer.headers.map { ($0.name, $0.value) },
                body: Data(buffer: body), elapsed: ContinuousClock.now - start))
        } catch is NIOTooManyBytesError {
            return .failure(.invalidResponse(.init(method: "GET", url: url, status: 200, problem: .tooLarge(limit: configuration.maxResponseBytes))))
        } catch {
            let failure = TransportFailure(classifying: error, key: configuration.apiKey)
            return .failure(await finalError(failure, method: .GET, url: url, attempts: 1))
        }
    }

    /// A path segment or query value percent-encoded as the client sends them (RFC 3986 unreserved kept).
    public static func percentEncoded(_ text: String) -> String { encodeComponent(text) }

    /// Decodes `data` as `type`, or describes where it does not fit (see `ResponseShape`).
    public func shapeProblem<T: Decodable>(_ type: T.Type, in data: Data) -> CogramAPIError.InvalidResponse.Problem? {
        do {
            _ = try JSONDecoder().decode(T.self, from: data)
            return nil
        } catch {
            return ResponseShape.problem(decoding: error, body: data, key: configuration.apiKey)
        }
    }
}
