import Foundation

/// Turns a failure to decode an answer into what a person can act on: where in the body, what cogramctl expected
/// there, and what came instead.
enum ResponseShape {
    static func problem(decoding error: any Error, body: Data, key: APIKey) -> CogramAPIError.InvalidResponse.Problem {
        guard let json = JSONValue(json: body) else {
            // Redacted before it is cut to the excerpt (`SafeText.clean`), so a key at the cut is still found.
            let text = String(decoding: body.prefix(CogramClient.excerptScanBytes), as: UTF8.self)
                .split(whereSeparator: { $0.isNewline || $0 == "\t" }).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces)
            return .notJSON(excerpt: SafeText.clean(text, redacting: key, limit: 80))
        }
        guard let error = error as? DecodingError else {
            return .shape(at: "the top level", expected: "the contract's JSON", found: SafeText.clean("\(error)", redacting: key))
        }
        func found(_ path: [any CodingKey]) -> String {
            SafeText.clean(render(value(in: json, at: path)), redacting: key, limit: 120)
        }
        switch error {
        case .keyNotFound(let missing, let context):
            let expected = context.debugDescription.hasPrefix("a list under")
                ? context.debugDescription : "a value under \u{201C}\(missing.stringValue)\u{201D}"
            let parent = render(value(in: json, at: context.codingPath))
            return .shape(at: describe(path: context.codingPath + [missing]), expected: expected,
                          found: "no such key (\(SafeText.clean(parent, redacting: key, limit: 160)))")
        case .typeMismatch(let type, let context):
            return .shape(at: describe(path: context.codingPath), expected: describe(type: type), found: found(context.codingPath))
        case .valueNotFound(let type, let context):
            return .shape(at: describe(path: context.codingPath), expected: describe(type: type), found: "null")
        case .dataCorrupted(let context):
            let text = context.debugDescription
            var expected = "a valid value"
            if let range = text.range(of: "Cannot initialize "), let from = text.range(of: " from invalid") {
                expected = "a value of \(text[range.upperBound..<from.lowerBound]) that cogramctl knows"
            }
            return .shape(at: describe(path: context.codingPath), expected: expected, found: found(context.codingPath))
        @unknown default:
            return .shape(at: "the top level", expected: "the contract's JSON", found: SafeText.clean("\(error)", redacting: key))
        }
    }

    /// `items[3].status`; the top level is "the top level".
    static func describe(path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out.isEmpty ? "the top level" : out
    }

    static func describe(type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Double.Type, is Int64.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || (name.hasPrefix("[") && !name.contains(":")) { return "a list" }
            return "an object"
        }
    }

    /// The JSON value at `path`, or nil when the path does not lead anywhere.
    static func value(in json: JSONValue, at path: [any CodingKey]) -> JSONValue? {
        var current: JSONValue? = json
        for key in path {
            if let index = key.intValue, let array = current?.arrayValue {
                current = array.indices.contains(index) ? array[index] : nil
            } else if let object = current?.objectValue {
                current = object[key.stringValue]
            } else {
                return nil
            }
        }
        return current
    }

    /// A short description of a JSON value: `"approver"`, `42`, `null`, `a list of 3`, `an object with keys a, b`.
    static func render(_ value: JSONValue?) -> String {
        switch value {
        case nil: return "nothing"
        case .null: return "null"
        case .string(let string):
            let short = string.count > 80 ? String(string.prefix(80)) + "…" : string
            return "\u{201C}\(short)\u{201D}"
        case .array(let array): return "a list of \(array.count)"
        case .object(let object):
            let keys = object.keys.sorted()
            let shown = keys.prefix(8).joined(separator: ", ")
            return keys.isEmpty ? "an empty object" : "an object with keys \(shown)\(keys.count > 8 ? ", …" : "")"
        case .number(let number):
            return JSONValue.numberText(number)
        case .bool(let flag):
            return flag ? "true" : "false"
        }
    }
}
