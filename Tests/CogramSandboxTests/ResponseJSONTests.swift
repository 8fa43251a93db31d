import CogramAPI
import CogramCore
import Foundation
import NIOCore
import Testing

@testable import CogramSandbox

/// The hand-written encoder of the sandbox's answers must write exactly what `JSONEncoder` wrote before it.
@Suite struct ResponseJSONTests {
    /// Every ASCII character (the controls, quote, backslash and slash among them), then text that JSON
    /// encoders disagree on: DEL, C1 controls, U+2028/U+2029, a byte-order mark, combining marks and emoji.
    static let awkward: [String] = {
        var all = (0..<0x80).map { String(UnicodeScalar(UInt8($0))) }
        all += ["", "plain", "a/b\\c\"d", "\u{7F}", "\u{85}\u{9F}", "line\u{2028}para\u{2029}", "\u{FEFF}bom", "e\u{301}",
                "Zoë Ångström", "😀👩‍👩‍👧", "tab\there\nnew\r\u{0C}\u{08}", String(repeating: "long é/\"", count: 40)]
        return all
    }()

    static func encoded(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func written(_ value: some ResponseEncodable) -> [UInt8] {
        var json = ResponseJSON()
        value.write(to: &json)
        return Array(json.buffer.readableBytesView)
    }

    static func expectSame(_ value: some ResponseEncodable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try encoded(value)
        let actual = written(value)
        #expect(
            actual == expected,
            "\(String(decoding: actual, as: UTF8.self)) != \(String(decoding: expected, as: UTF8.self))",
            sourceLocation: sourceLocation)
    }

    @Test func stringsAreEscapedLikeJSONEncoder() throws {
        for text in Self.awkward {
            try Self.expectSame(Member(userID: text, email: text, name: text, role: .unknown(text), addedAt: text))
        }
    }

    @Test func membersMatchJSONEncoderWithAndWithoutOptionalFields() throws {
        for name in [nil, "Ana"] as [String?] {
            for addedAt in [nil, "2026-01-05T10:00:00.123Z"] as [String?] {
                try Self.expectSame(Member(userID: "usr_1", email: "ana@example.com", name: name, role: .editor, addedAt: addedAt))
            }
        }
    }

    @Test func projectsMatchJSONEncoderWithNullsAndUnknownStatuses() throws {
        for text in Self.awkward.suffix(12) {
            try Self.expectSame(Project(
                id: "prj_\(text)", name: text, description: text, externalID: text, status: .unknown(text),
                createdAt: text, updatedAt: text))
        }
        try Self.expectSame(Project(
            id: "prj_1", name: "Apollo", description: nil, externalID: nil, status: .archived, createdAt: nil,
            updatedAt: "2026-01-05T10:00:00.000Z"))
    }

    @Test func usersMatchJSONEncoderWithNullsAndUnknownValues() throws {
        for text in Self.awkward.suffix(12) {
            try Self.expectSame(User(
                id: "usr_1", email: text, name: text, role: .unknown(text), externalID: text, status: .unknown(text)))
        }
        try Self.expectSame(User(
            id: "usr_2", email: "bo@example.com", name: nil, role: .known(.member), externalID: nil, status: .known(.deactivated)))
    }

    @Test func pagesMatchJSONEncoderEmptyOneAndMany() throws {
        let member = Member(userID: "usr_1", email: "a@b.c", name: "A", role: .viewer, addedAt: "2026-01-05T10:00:00.000Z")
        try Self.expectSame(Page<Member>(items: [], page: 7, pageSize: 100, total: 0))
        try Self.expectSame(Page(items: [member], page: 1, pageSize: 50, total: 1))
        try Self.expectSame(Page(items: Array(repeating: member, count: 100), page: Int.max, pageSize: 100, total: -1))
        let user = User(id: "usr_1", email: "a@b.c", name: nil, role: .admin, externalID: "E/1", status: .active)
        try Self.expectSame(Page(items: [user, user], page: 2, pageSize: 2, total: 5))
        let project = Project(
            id: "prj_1", name: "P", description: "d", externalID: nil, status: .active, createdAt: "c", updatedAt: "u")
        try Self.expectSame(Page(items: [project, project, project], page: 1, pageSize: 3, total: 3))
    }
}

@Suite struct CredentialParsingTests {
    /// What the header parsing did with Foundation alone.
    static func reference(_ header: String) -> Credential {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .missing }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? .missing : .token(token)
    }

    @Test func parsingMatchesLowercasingAndTrimming() {
        let headers = [
            "Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc", "Bearer  abc", "Bearer abc ", "Bearer \tabc\t",
            "Bearer \u{A0}abc\u{3000}", "Bearer", "Bearer ", "Bearer  ", "Bearerx abc", "Beare abc", "Basic abc",
            "B\u{212A}arer abc", "BEAR\u{130}R abc", "Bearer a b c", "Bearer é", "Bearer ab\u{7F}", "\u{1F600} abc",
        ]
        for header in headers {
            #expect(Credential(authorization: header) == Self.reference(header), "\(header.debugDescription)")
        }
    }
}
