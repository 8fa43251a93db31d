import CogramCore
import Foundation
import Testing

@Suite struct RoleTests {
    @Test func projectRolesAreOrderedByWhatTheyAllow() {
        #expect(ProjectRole.viewer < .editor && ProjectRole.editor < .owner)
        #expect(ProjectRole.allCases.sorted() == [.viewer, .editor, .owner])
        #expect(ProjectRole.allCases.max() == .owner)
    }

    @Test func organizationRolesAreOrderedByWhatTheyAllow() {
        #expect(OrganizationRole.guest < .member && OrganizationRole.member < .admin)
        #expect(OrganizationRole.allCases.sorted() == [.guest, .member, .admin])
    }

    @Test func rolesAreSpelledAsTheContractSpellsThem() throws {
        #expect(ProjectRole.allCases.map(\.rawValue) == ["owner", "editor", "viewer"])
        #expect(OrganizationRole.allCases.map(\.rawValue) == ["admin", "member", "guest"])
        let encoded = try JSONEncoder().encode([ProjectRole.editor])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["editor"]"#)
    }
}

@Suite struct ContractLimitTests {
    /// 128 letters, each an `e` followed by a combining acute accent: 128 characters but 256 Unicode scalars.
    static let combining = String(repeating: "e\u{301}", count: 128)

    @Test func lengthsAreCountedInUnicodeScalars() {
        #expect(Self.combining.count == 128)
        #expect(ContractLimits.length(of: Self.combining) == 256)
        #expect(!ContractLimits.fits(Self.combining, ContractLimits.externalID))
        #expect(ContractLimits.fits(String(repeating: "é", count: 128), ContractLimits.externalID))
        #expect(!ContractLimits.fits(String(repeating: "é", count: 129), ContractLimits.externalID))
        #expect(!ContractLimits.fits("", ContractLimits.externalID))
        // Four bytes a scalar: 32 of them fill 128 bytes, and 128 of them (512 bytes) still fit 128 scalars.
        #expect(ContractLimits.fits(String(repeating: "😀", count: 32), ContractLimits.externalID))
        #expect(ContractLimits.fits(String(repeating: "😀", count: 128), ContractLimits.externalID))
        #expect(!ContractLimits.fits(String(repeating: "😀", count: 129), ContractLimits.externalID))
        #expect(!ContractLimits.fits("😀", 2...3))
        #expect(ContractLimits.fits("ab", 2...3))
    }

    @Test func theContractsLimits() {
        #expect(ContractLimits.projectName == 1...200)
        #expect(ContractLimits.externalID == 1...128)
        #expect(ContractLimits.fits(String(repeating: "n", count: 200), ContractLimits.projectName))
        #expect(!ContractLimits.fits(String(repeating: "n", count: 201), ContractLimits.projectName))
    }
}

@Suite struct OwnershipTests {
    @Test func aPrefixManagesTheExternalIDsThatStartWithIt() {
        #expect(OwnershipRule.manages(externalID: "acme-web", prefix: "acme-"))
        #expect(!OwnershipRule.manages(externalID: "other-web", prefix: "acme-"))
        #expect(OwnershipRule.manages(externalID: "anything", prefix: nil))
    }

    @Test func aProjectWithoutAnExternalIDIsNeverManaged() {
        #expect(!OwnershipRule.manages(project: nil, prefix: nil))
        #expect(!OwnershipRule.manages(project: nil, prefix: "acme-"))
        #expect(OwnershipRule.manages(project: "acme-x", prefix: "acme-"))
    }
}

@Suite struct SafetyCapTests {
    @Test func theFloorsHoldForSmallOrganizations() {
        #expect(SafetyCap.archive.floor == 1)
        #expect(SafetyCap.memberRemoval.floor == 5)
        #expect(SafetyCap.archive.defaultCap(of: 0) == 1)
        #expect(SafetyCap.memberRemoval.defaultCap(of: 3) == 5)
    }

    @Test func aboveTheFloorTheCapIsAQuarterRoundedDown() {
        #expect(SafetyCap.archive.defaultCap(of: 10) == 2)
        #expect(SafetyCap.memberRemoval.defaultCap(of: 100) == 25)
        #expect(SafetyCap.archive.formula == "max(1, 25%)")
        #expect(SafetyCap.memberRemoval.formula == "max(5, 25%)")
    }
}

@Suite struct ControlCharacterTests {
    @Test func oneDefinition() {
        for value: UInt32 in [0x00, 0x0A, 0x1B, 0x1F, 0x7F, 0x85, 0x9F, 0x2028, 0x2029] {
            #expect(ControlCharacters.contains(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
        for value: UInt32 in [0x20, 0x41, 0x7E, 0xA0, 0xE9, 0x200B, 0x1F600] {
            #expect(!ControlCharacters.contains(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
    }

    @Test func theThreeSpellings() {
        let text = "a\nb\tc\r\u{1B}[31m\u{2028}"
        #expect(ControlCharacters.escaping(text, .terminal) == #"a\nb\tc\r\u{1B}[31m\u{2028}"#)
        #expect(ControlCharacters.escaping(text, .braced) == #"a\u{A}b\u{9}c\u{D}\u{1B}[31m\u{2028}"#)
        #expect(ControlCharacters.escaping(text, .quoted) == #"a\nb\tc\u000d\u001b[31m\u2028"#)
        #expect(ControlCharacters.escaping("plain é", .terminal) == "plain é")
    }

    @Test func removingLeavesOnlyPrintableText() {
        #expect(ControlCharacters.removing(from: "ci\r\nbot\u{7F}") == "cibot")
    }
}

@Suite struct InstantTests {
    @Test func spellingsOfOneInstantAreEqual() throws {
        let a = try #require(Instant(rfc3339: "2026-01-05T10:00:00Z"))
        #expect(Instant(rfc3339: "2026-01-05T10:00:00.000Z") == a)
        #expect(Instant(rfc3339: "2026-01-05T12:00:00+02:00") == a)
        #expect(Instant(rfc3339: "2026-01-05t10:00:00z") == a)
        #expect(Instant(rfc3339: "2026-01-05T10:00:00.000000001Z")! > a)
        #expect(Instant.same("2026-01-05T10:00:00Z", "2026-01-05T11:00:00+01:00"))
        #expect(!Instant.same("not a date", "not a date either"))
    }

    @Test func malformedTimestampsAreRefused() {
        for text in ["2026-01-05", "2026-13-05T10:00:00Z", "2026-01-05T10:00:00", "2026-01-05T10:00:00.Z", "2026-01-05T10:00:00Zx"] {
            #expect(Instant(rfc3339: text) == nil, "\(text)")
        }
    }

    /// `rfc3339` as it was written before it wrote into one buffer: padded pieces joined, any year.
    static func referenceRFC3339(_ instant: Instant, fractionDigits: Int) -> String {
        func pad(_ value: Int64, _ width: Int) -> String {
            let s = String(value)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let days = instant.seconds >= 0 || instant.seconds % 86400 == 0 ? instant.seconds / 86400 : instant.seconds / 86400 - 1
        let second = instant.seconds - days * 86400
        let (year, month, day) = CivilDays.date(days: days)
        var out = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(second / 3600, 2) + ":"
            + pad(second % 3600 / 60, 2) + ":" + pad(second % 60, 2)
        if fractionDigits > 0 {
            var divisor: Int64 = 1
            for _ in 0..<(9 - min(9, fractionDigits)) { divisor *= 10 }
            out += "." + pad(instant.nanoseconds / divisor, min(9, fractionDigits))
        }
        return out + "Z"
    }

    /// The years 0 to 9999 take the buffer; the others keep the padded pieces. Both give the reference's text.
    @Test func formattingMatchesTheReferenceEverywhere() {
        // 9999-12-31T23:59:59.999Z, the last instant of the buffer's years.
        let latest: Int64 = 253_402_300_799_999
        var values: [Int64] = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 1_767_607_200_123,
                               latest, latest + 1, -1, -86_400_001, -62_167_219_200_000, -62_167_219_200_001, Int64.max / 2]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { values.append(Int64.random(in: -62_167_219_200_000...latest, using: &generator)) }
        for value in values {
            let instant = Instant(milliseconds: value)
            for digits in [0, 3, 9, 12] {
                #expect(instant.rfc3339(fractionDigits: digits) == Self.referenceRFC3339(instant, fractionDigits: digits), "\(value) \(digits)")
            }
        }
    }

    @Test func formatsInUTC() throws {
        let instant = try #require(Instant(rfc3339: "2026-01-05T12:34:56.789+02:00"))
        #expect(instant.rfc3339() == "2026-01-05T10:34:56Z")
        #expect(instant.rfc3339(fractionDigits: 3) == "2026-01-05T10:34:56.789Z")
        #expect(instant.fullDate == "2026-01-05")
        #expect(Instant(milliseconds: 1_767_607_200_123).rfc3339(fractionDigits: 3) == "2026-01-05T10:00:00.123Z")
        #expect(Instant(milliseconds: -1).rfc3339(fractionDigits: 3) == "1969-12-31T23:59:59.999Z")
        #expect(Instant(seconds: 951_782_400).fullDate == "2000-02-29")
    }

    @Test func formattingAgreesWithFoundation() {
        let style = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)
        for seconds in stride(from: Int64(-5_000_000_000), through: 5_000_000_000, by: 123_456_789) {
            let date = Date(timeIntervalSince1970: Double(seconds))
            #expect(Instant(date: date).rfc3339() == date.formatted(style))
            #expect(Instant(rfc3339: Instant(seconds: seconds).rfc3339()) == Instant(seconds: seconds))
        }
    }
}
