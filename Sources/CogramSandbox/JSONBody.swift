import CogramAPI
import Foundation

/// A request body is read as a `JSONValue`, kept generic so unknown fields and wrong types can be reported
/// precisely.
extension JSONValue {
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Reads a request body as a JSON object and collects every problem with its fields.
struct BodyReader {
    private let object: [String: JSONValue]
    private(set) var details: [ErrorEnvelope.FieldDetail] = []

    /// Deepest nesting of arrays and objects accepted. API bodies are flat objects (depth 1); a little room is
    /// left so that a wrong type still gets its precise 422.
    static let maxDepth = 4

    /// Malformed JSON or nesting deeper than `maxDepth` → 400 `bad_request`; a well-formed non-object → 422
    /// `validation_error`.
    init(data: Data, allowed: Set<String>) throws(APIError) {
        // Checked before decoding: a decoder walks deep nesting in time that grows with it, and a small body can
        // be nested thousands of levels deep.
        if Self.nestingExceeds(Self.maxDepth, data) {
            throw APIError.badRequest(
                "the request body is nested deeper than \(Self.maxDepth) levels; API request bodies are flat JSON objects")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw APIError.badRequest("the request body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw APIError.validation([.init(field: "body", message: "must be a JSON object, not \(value.typeName)")])
        }
        self.object = object
        for key in object.keys.sorted() where !allowed.contains(key) {
            details.append(.init(field: key, message: "is not a known field"))
        }
    }

    /// Whether arrays and objects nest deeper than `limit` anywhere in `data`, brackets inside strings not
    /// counted. One pass, stopping at the first level too deep; malformed input is left to the decoder.
    static func nestingExceeds(_ limit: Int, _ data: Data) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            default:
                break
            }
        }
        return false
    }

    private mutating func fail(_ field: String, _ message: String) {
        details.append(.init(field: field, message: message))
    }

    /// A string whose length in Unicode scalars (as JSON Schema counts) is within `lengths`.
    mutating func string(_ field: String, lengths: ClosedRange<Int>?, nullable: Bool) -> PatchField<String> {
        guard let raw = object[field] else { return .absent }
        switch raw {
        case .null:
            if nullable { return .null }
            fail(field, "must not be null")
        case .string(let text):
            if text.unicodeScalars.contains("\u{0}") {
                // SQLite's text API (and many databases) end strings at NUL; refuse rather than truncate.
                fail(field, "must not contain the NUL character (U+0000)")
            } else if let lengths, !ContractLimits.fits(text, lengths) {
                if text.isEmpty {
                    fail(field, "must not be empty")
                } else {
                    fail(field, "must be \(lengths.lowerBound) to \(lengths.upperBound) characters long")
                }
            } else {
                return .value(text)
            }
        default:
            fail(field, "must be a string, not \(raw.typeName)")
        }
        return .absent
    }

    /// One of the raw values of an enumeration.
    mutating func enumeration<E: RawRepresentable & CaseIterable>(_ field: String, _ type: E.Type) -> E?
    where E.RawValue == String {
        guard let raw = object[field] else { return nil }
        let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
        if case .string(let text) = raw, let value = E(rawValue: text) {
            return value
        }
        if case .null = raw {
            fail(field, "must not be null; one of: \(allowed)")
        } else {
            fail(field, "must be one of: \(allowed)")
        }
        return nil
    }

    mutating func require(_ field: String) {
        if object[field] == nil {
            fail(field, "is required")
        }
    }

    /// Throws the collected problems, if any.
    func finish() throws(APIError) {
        if !details.isEmpty {
            throw APIError.validation(details)
        }
    }
}
