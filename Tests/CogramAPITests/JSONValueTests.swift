import CogramAPI
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test func decodesEveryKindAndKeepsBooleansApartFromNumbers() throws {
        let value = try #require(JSONValue(json: Data(#"{"a": [1, 0, true, false, 0.5, -2, null, "s"], "b": {}}"#.utf8)))
        #expect(value == .object([
            "a": .array([.number(1), .number(0), .bool(true), .bool(false), .number(0.5), .number(-2), .null, .string("s")]),
            "b": .object([:]),
        ]))
        #expect(value["a"]?.arrayValue?.count == 8)
        #expect(value["missing"] == nil)
        #expect(JSONValue(json: Data("42".utf8)) == .number(42))
        #expect(JSONValue(json: Data("not json".utf8)) == nil)
    }

    @Test func encodesWholeNumbersWithoutAFraction() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(JSONValue.object(["n": .number(3), "x": .number(0.5), "t": .bool(true), "z": .null]))
        #expect(String(decoding: data, as: UTF8.self) == #"{"n":3,"t":true,"x":0.5,"z":null}"#)
        #expect(JSONValue.numberText(42) == "42")
        #expect(JSONValue.numberText(-0.25) == "-0.25")
    }
}
