import CogramCore
import Foundation

/// Milliseconds since the Unix epoch: how the store keeps time, so `updated_at` can be made strictly increasing.
enum Timestamp {
    static func nowMilliseconds() -> Int64 { milliseconds(Date()) }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-01-05T10:00:00.123Z`.
    static func format(_ milliseconds: Int64) -> String {
        Instant(milliseconds: milliseconds).rfc3339(fractionDigits: 3)
    }

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
