@testable import CogramAPI
import Foundation
import NIOCore
import Testing

/// The list pages read without `JSONDecoder`: the same page as `JSONDecoder` reads, or none at all (and then
/// `JSONDecoder` reads it, tolerating or refusing it as before).
@Suite("Contract pages read without JSONDecoder")
struct ContractPageReaderTests {
    static func fast<Item: ListItem>(_ type: Item.Type, _ json: String) -> ListPage<Item>? {
        ContractPageReader.read(type, from: ByteBuffer(string: json))
    }

    static func slow<Item: ListItem>(_ type: Item.Type, _ json: String) throws -> ListPage<Item> {
        try JSONDecoder().decode(ListPage<Item>.self, from: Data(json.utf8))
    }

    static func expectSame<Item: ListItem & Hashable>(_ type: Item.Type, _ json: String) throws {
        let fast = try #require(Self.fast(type, json), "not read: \(json)")
        let slow = try Self.slow(type, json)
        #expect(fast.items == slow.items)
        #expect(fast.total == slow.total)
        #expect(fast.pageSize == slow.pageSize)
        #expect(fast.hasMore == slow.hasMore)
        #expect(fast.itemsKey == slow.itemsKey)
    }

    static let member = #"{"added_at":"2026-01-05T10:00:00Z","email":"ana@acme.example","name":"Ana Ruiz","role":"owner","user_id":"usr_1"}"#

    @Test(arguments: [
        #"{"items":[\#(member)],"page":1,"page_size":100,"total":1}"#,
        #" { "items" : [ \#(member) , {"user_id":"usr_2","email":"bo@acme.example","role":"auditor"} ] ,"total":2 }  "# + "\n",
        #"{"items":[{"user_id":"usr_3","email":"cy@acme.example","name":null,"role":"viewer","added_at":null}],"total":0}"#,
        #"{"items":[{"user_id":"usr_4","email":"Zoë@acme.example","name":"Zoë Ñúñez 🙂","role":"editor"}],"page_size":0}"#,
        #"{"items":[],"page":3,"page_size":100,"total":250}"#,
        #"{"total":5,"items":[]}"#,
        #"{"items":[],"total":123456789012345678}"#,
    ])
    func memberPagesReadAsJSONDecoderReadsThem(_ json: String) throws {
        try Self.expectSame(Member.self, json)
    }

    @Test func projectAndUserPagesReadAsJSONDecoderReadsThem() throws {
        try Self.expectSame(Project.self, #"{"items":[\#(Fixture.project(1)),\#(Fixture.project(2))],"page":1,"page_size":100,"total":2}"#)
        try Self.expectSame(Project.self, #"{"items":[{"id":"prj_9","name":"N","status":"paused","updated_at":"u"}],"total":1}"#)
        try Self.expectSame(User.self, #"{"items":[\#(Fixture.user)],"page":1,"page_size":100,"total":1}"#)
        try Self.expectSame(User.self, #"{"items":[{"id":"usr_2","email":"e@x","name":null,"role":"owner","external_id":null,"status":"suspended"}]}"#)
    }

    /// Every other shape is left to `JSONDecoder`, whether it tolerates it or not.
    @Test(arguments: [
        #"{"data":[\#(member)],"total_count":1}"#,
        #"{"items":[\#(member)],"total":1,"has_more":false}"#,
        #"{"items":[\#(member)],"meta":{"total":1}}"#,
        #"{"items":[{"user_id":"usr_1","email":"a@x","role":"owner","team":"core"}]}"#,
        #"{"items":[{"user_id":"usr_1","user_id":"usr_2","email":"a@x","role":"owner"}]}"#,
        #"{"items":[],"items":[\#(member)]}"#,
        #"{"items":[{"user_id":"usr_1","email":"a\u0040x","role":"owner"}]}"#,
        #"{"items":[{"user_id":"usr_1","email":"a@x","name":"A \"B\"","role":"owner"}]}"#,
        #"{"items":[{"user_id":"usr_1","email":"a@x","role":null}]}"#,
        #"{"items":[{"user_id":"usr_1","role":"owner"}]}"#,
        #"{"items":[{"user_id":1,"email":"a@x","role":"owner"}]}"#,
        #"{"items":[\#(member)],"total":"1"}"#,
        #"{"items":[\#(member)],"total":-1}"#,
        #"{"items":[\#(member)],"total":1.0}"#,
        #"{"items":[\#(member)],"total":1e2}"#,
        #"{"items":[\#(member)],"total":01}"#,
        #"{"items":[\#(member)],"total":null}"#,
        #"{"items":[\#(member)],"total":1234567890123456789}"#,
        #"{"items":[\#(member)],"total":123456789012345678901234567890}"#,
        #"{"items":[\#(member),]}"#,
        #"{"items":[\#(member)],}"#,
        #"{"items":[\#(member)]} x"#,
        #"{"items":[\#(member)]"#,
        #"{"items":null}"#,
        #"{"page":1}"#,
        #"[\#(member)]"#,
        "",
        "{\"items\":[{\"user_id\":\"usr_1\",\"email\":\"a@x\",\"name\":\"tab\tin\",\"role\":\"owner\"}]}",
    ])
    func otherShapesAreLeftToJSONDecoder(_ json: String) {
        #expect(Self.fast(Member.self, json) == nil)
    }

    @Test func bytesThatAreNotUTF8AreLeftToJSONDecoder() {
        var buffer = ByteBuffer(string: #"{"items":[{"user_id":"usr_1","email":"a@x","name":""#)
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString(#"","role":"owner"}]}"#)
        #expect(ContractPageReader.read(Member.self, from: buffer) == nil)
    }

    struct Other: ListItem, Hashable {
        var id: String
        var listIdentity: String { id }
    }

    @Test func anItemTypeOutsideTheContractIsLeftToJSONDecoder() throws {
        #expect(Self.fast(Other.self, #"{"items":[{"id":"a"}],"total":1}"#) == nil)
        #expect(try Self.slow(Other.self, #"{"items":[{"id":"a"}],"total":1}"#).items == [Other(id: "a")])
    }
}
