import CogramAPI
import CogramCore
import Hummingbird
import NIOCore

/// A value the sandbox answers with that writes its own JSON, byte for byte what `JSONEncoder` with
/// `.sortedKeys` and `.withoutEscapingSlashes` writes for it (`jsonResponse` uses one or the other, so the two
/// must never differ; `ResponseJSONTests` compares them).
///
/// Lists of members, projects and users are nearly every request a plan makes, and `JSONEncoder` (boxing each
/// value, sorting keys, then serializing) was the largest single cost of serving them.
protocol ResponseEncodable: Encodable {
    func write(to json: inout ResponseJSON)
}

/// JSON written straight into a `ByteBuffer`: what `JSONEncoder` writes for objects with sorted keys, no
/// whitespace, slashes as they are, and strings escaped as `JSONStringEscaping` says.
struct ResponseJSON {
    private(set) var buffer: ByteBuffer

    init(capacity: Int = 512) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Punctuation and keys: text that needs no escaping.
    mutating func raw(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    mutating func string(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { source in
            JSONStringEscaping.write(source, plain: { buffer.writeBytes($0) }, escaped: { buffer.writeBytes($0) })
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// A string, or `null`.
    mutating func string(orNull value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// An object of string fields, each key written with its quotes and colon (`#""id":"#`) in sorted order, a nil
    /// value as `null`.
    mutating func object(_ fields: (key: StaticString, value: String?)...) {
        raw("{")
        for (index, field) in fields.enumerated() {
            if index > 0 { raw(",") }
            raw(field.key)
            string(orNull: field.value)
        }
        raw("}")
    }

    mutating func integer(_ value: Int) {
        buffer.writeString(String(value))
    }
}

extension Project: ResponseEncodable {
    func write(to json: inout ResponseJSON) {
        json.object((#""created_at":"#, createdAt), (#""description":"#, description), (#""external_id":"#, externalID),
                    (#""id":"#, id), (#""name":"#, name), (#""status":"#, status.rawValue), (#""updated_at":"#, updatedAt))
    }
}

extension Member: ResponseEncodable {
    /// `name` and `added_at` are left out when nil, as `JSONEncoder` does for plain optionals.
    func write(to json: inout ResponseJSON) {
        json.raw("{")
        if let addedAt {
            json.raw(#""added_at":"#)
            json.string(addedAt)
            json.raw(",")
        }
        json.raw(#""email":"#)
        json.string(email)
        if let name {
            json.raw(#","name":"#)
            json.string(name)
        }
        json.raw(#","role":"#)
        json.string(role.rawValue)
        json.raw(#","user_id":"#)
        json.string(userID)
        json.raw("}")
    }
}

extension User: ResponseEncodable {
    func write(to json: inout ResponseJSON) {
        json.object((#""email":"#, email), (#""external_id":"#, externalID), (#""id":"#, id), (#""name":"#, name),
                    (#""role":"#, role.rawValue), (#""status":"#, status.rawValue))
    }
}

extension Page: ResponseEncodable where Item: ResponseEncodable {
    func write(to json: inout ResponseJSON) {
        json.raw(#"{"items":["#)
        for (index, item) in items.enumerated() {
            if index > 0 { json.raw(",") }
            item.write(to: &json)
        }
        json.raw(#"],"page":"#)
        json.integer(page)
        json.raw(#","page_size":"#)
        json.integer(pageSize)
        json.raw(#","total":"#)
        json.integer(total)
        json.raw("}")
    }
}

/// The sandbox's own resources, written without `JSONEncoder` (see `ResponseEncodable`).
func jsonResponse(status: HTTPResponse.Status, _ value: some ResponseEncodable, headers: HTTPFields = [:]) -> Response {
    var json = ResponseJSON()
    value.write(to: &json)
    var all = headers
    all[.contentType] = "application/json"
    return Response(status: status, headers: all, body: .init(byteBuffer: json.buffer))
}
