import CogramAPI
import Hummingbird

/// An error answer of the API: status, contract code, message and optional field details.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: ErrorCode
    var message: String
    var details: [ErrorEnvelope.FieldDetail]?
    var headers: HTTPFields = [:]

    var envelope: ErrorEnvelope {
        ErrorEnvelope(error: .init(code: code.rawValue, message: message, details: details))
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(status: .badRequest, code: .badRequest, message: message)
    }

    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: .notFound, message: message)
    }

    static func conflict(_ message: String) -> APIError {
        APIError(status: .conflict, code: .conflict, message: message)
    }

    static func validation(_ details: [ErrorEnvelope.FieldDetail]) -> APIError {
        let first = details.first.map { "\($0.field) \($0.message)" } ?? "the request body is invalid"
        let message = details.count > 1 ? "\(first) (and \(details.count - 1) more)" : first
        return APIError(status: .unprocessableContent, code: .validationError, message: message, details: details)
    }

    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, code: .payloadTooLarge,
            message: "the request body is larger than \(limit) bytes")
    }

    static func methodNotAllowed(_ allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        var error = APIError(
            status: .methodNotAllowed, code: .methodNotAllowed,
            message: "method not allowed here; allowed: \(list)")
        error.headers[.allow] = list
        return error
    }
}
