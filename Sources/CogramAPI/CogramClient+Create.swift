import Foundation
import NIOHTTP1

// MARK: - Exactly-once creates

extension CogramClient {
    /// `POST /v1/projects`, creating at most one project however the answers get lost.
    ///
    /// Every attempt of one create carries the same `Idempotency-Key`, so that a server which honours it answers a
    /// resend with the first result. Not every server does, and an external_id need not be unique on every
    /// server: so after an ambiguous failure (a 5xx, a dropped connection, a read timeout: the server may have
    /// created the project) the client waits its backoff, reads the projects by external_id, keeps only those
    /// that really carry it (a server may ignore the filter) and adopts the one it finds instead of sending the
    /// POST again. Two projects with that external_id are an error rather than a guess. Without an external_id
    /// nothing can be read back, so the POST is sent again only when the caller says `retrySafe`.
    func createProjectExactlyOnce(_ body: ProjectCreate, retrySafe: Bool) async throws -> Project {
        let path = "/v1/projects"
        let idempotencyKey = UUID().uuidString.lowercased()
        let data = try encode(body)
        var resends = 0
        while true {
            do {
                let response = try await send(.POST, path, body: data, headers: [("Idempotency-Key", idempotencyKey)])
                return try decode(Project.self, from: response, method: .POST, url: url(path))
            } catch let error as CogramAPIError where Self.isAmbiguous(error) {
                guard resends < configuration.maxRetries, body.externalID != nil || retrySafe else { throw error }
                resends += 1
                let wait = backoff(retry: resends)
                try await Task.sleep(for: wait)
                if let externalID = body.externalID, let existing = try await project(externalID: externalID) {
                    configuration.logger.info(
                        "POST \(url(path)) may have been carried out (\(Self.summary(error))): project \(existing.id) carries external_id \(redactKey(externalID, limit: 200)); adopting it instead of sending the POST again")
                    return existing
                }
                configuration.logger.info(
                    "sending POST \(url(path)) again after \(Self.summary(error)) (resend \(resends) of \(configuration.maxRetries), same Idempotency-Key)")
            }
        }
    }

    /// The project that carries exactly `externalID`, among all statuses; nil when there is none. The
    /// `external_id=` filter narrows the read, and the answer is checked here, since a server may ignore it.
    /// More than one such project throws `invalidResponse` with `.duplicateExternalID`.
    public func project(externalID: String) async throws -> Project? {
        let matching = try await listProjects(status: .all, externalID: externalID).filter { $0.externalID == externalID }
        guard matching.count <= 1 else {
            throw CogramAPIError.invalidResponse(.init(
                method: "GET", url: url("/v1/projects" + Self.encodeQuery([("status", "all"), ("external_id", externalID)])),
                status: 200,
                problem: .duplicateExternalID(redactKey(externalID, limit: 200), ids: matching.map(\.id))))
        }
        return matching.first
    }

    /// A 5xx, a connection closed before the answer, or a read timeout: the server may have acted.
    static func isAmbiguous(_ error: CogramAPIError) -> Bool {
        switch error {
        case .api(let failure): return retryableStatuses.contains(failure.status)
        case .timeout(let timeout): return timeout.phase == .read
        case .transport(let transport): return transport.kind == .connectionClosed
        case .invalidResponse: return false
        }
    }

    private static func summary(_ error: CogramAPIError) -> String {
        switch error {
        case .api(let failure): "HTTP \(failure.status)"
        case .timeout: "a read timeout"
        case .transport: "a connection closed without an answer"
        case .invalidResponse: "an invalid answer"
        }
    }
}
