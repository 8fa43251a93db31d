import CogramCore
import Foundation

/// Milliseconds since the Unix epoch: how the store keeps time, so `updated_at` can be made strictly increasing.
enum Timestamp {
    static func nowMilliseconds() -> Int64 { milliseconds(Date()) }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-01-05T10:00:00.123Z`.
    static func format(_ milliseconds: Int64) -> String {
        guard (0...latestFast).contains(milliseconds) else {
            return Instant(milliseconds: milliseconds).rfc3339(fractionDigits: 3)
        }
        // Every listed member and project carries one or two of these: written into one buffer, the same text
        // as `rfc3339` for the years 1970 to 9999.
        let (year, month, day) = CivilDays.date(days: milliseconds / 86_400_000)
        let millisecondOfDay = milliseconds % 86_400_000
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var end = 0
            func field(_ value: Int64, width: Int, then separator: Unicode.Scalar) {
                var value = value
                for position in stride(from: end + width - 1, through: end, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                buffer[end + width] = UInt8(ascii: separator)
                end += width + 1
            }
            field(year, width: 4, then: "-")
            field(month, width: 2, then: "-")
            field(day, width: 2, then: "T")
            field(millisecondOfDay / 3_600_000, width: 2, then: ":")
            field(millisecondOfDay / 60_000 % 60, width: 2, then: ":")
            field(millisecondOfDay / 1000 % 60, width: 2, then: ".")
            field(millisecondOfDay % 1000, width: 3, then: "Z")
            return end
        }
    }

    /// 9999-12-31T23:59:59.999Z, the last time `format` writes without `Instant`.
    static let latestFast: Int64 = 253_402_300_799_999

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// Opaque identifiers: a prefix and random base-36 characters.
enum Identifier {
    private static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")

    static func make(_ prefix: String, length: Int = 12) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// A new API key: 40 random base-36 characters (about 206 bits) after a recognisable prefix.
    static func apiKey() -> String { make("cgk_sandbox_", length: 40) }
}
