import CogramCore
import Foundation
import Testing

/// `StableJSONWriter` writes the bytes `StableJSON` (Foundation's encoder, sorted keys, pretty printed) writes.
@Suite struct StableJSONWriterTests {
    indirect enum Value: Encodable {
        case null
        case number(Int)
        case string(String)
        case array([Value])
        case object([String: Value])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .number(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .array(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            }
        }

        /// The writer's calls for this value, keys in the ascending UTF-8 order the writer expects.
        func write(to json: inout StableJSONWriter) {
            switch self {
            case .null: json.null()
            case .number(let value): json.number(value)
            case .string(let value): json.string(value)
            case .array(let values):
                json.beginArray()
                for value in values { value.write(to: &json) }
                json.endArray()
            case .object(let members):
                json.beginObject()
                for (key, value) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                    json.key(key)
                    value.write(to: &json)
                }
                json.endObject()
            }
        }
    }

    static func written(_ value: Value) -> Data {
        var json = StableJSONWriter()
        value.write(to: &json)
        return json.finish()
    }

    /// Every C0 control, DEL, C1, quotes, backslashes, slashes, bidi controls and text outside the BMP.
    static let hostile = String(String.UnicodeScalarView((0...0x20).compactMap(Unicode.Scalar.init)))
        + "\"\\/ \u{7F}\u{85}\u{2028}\u{202E}é🚀 </script>"

    static let documents: [Value] = [
        .object([:]),
        .array([]),
        .string(hostile),
        .null,
        .number(-42),
        .object([
            "kind": .string("cogramctl-access"), "grants": .array([
                .object(["email": .string("ana@acme.example"), "project_id": .null, "managed_by": .string("a/b.yaml:3")]),
                .object([hostile: .string(hostile), "B": .number(0), "a": .array([]), "_": .object([:]), "aa": .array([.array([.object([:])])])]),
            ]),
            "expiry_warning_days": .number(30), "empty": .array([]), "nested": .object(["x": .array([.null, .string(""), .number(7)])]),
            "Zed": .string("upper case sorts first"), "z_z": .string("_ after letters? no: before"), "zz": .null,
        ]),
        // The writer's own digits against the encoder's, at the ends of `Int`.
        .array([.number(0), .number(9), .number(10), .number(-1), .number(1_000_000), .number(.max), .number(.min)]),
        // An escape only at the start, only at the end, between plain text: the scan's first hit and the rest.
        .object(["\"a": .string("b\n"), "plain": .string("\u{1}x\\y\"z"), "z": .string("ends with a quote\"")]),
        // Deeper than the writer's table of indents (32 levels).
        deep(40),
    ]

    static func deep(_ levels: Int) -> Value {
        (0..<levels).reduce(Value.object(["leaf": .number(1)])) { inner, level in
            level.isMultiple(of: 2) ? .array([inner, .null]) : .object(["k": inner])
        }
    }

    @Test(arguments: 0..<documents.count) func sameBytesAsStableJSON(index: Int) throws {
        let value = Self.documents[index]
        let expected = try StableJSON.data(value)
        let actual = Self.written(value)
        #expect(actual == expected, "\(String(decoding: actual, as: UTF8.self))\n---\n\(String(decoding: expected, as: UTF8.self))")
    }

    @Test func membersAndStringArrays() throws {
        var json = StableJSONWriter()
        json.beginObject()
        json.member("a", nil)
        json.member("b", "x")
        json.member("c", strings: ["1", "2"])
        json.member("d", strings: [])
        json.endObject()
        let expected = try StableJSON.data(Value.object([
            "a": .null, "b": .string("x"), "c": .array([.string("1"), .string("2")]), "d": .array([]),
        ]))
        #expect(json.finish() == expected)
    }
}
