import Foundation

/// An instant read from an RFC 3339 timestamp, exact to the nanosecond, so that two spellings of one instant
/// (`…T10:00:00Z`, `…T10:00:00.000Z`, `…T12:00:00+02:00`) compare equal and two different instants never do.
/// The one parser and the one formatter of timestamps: plans, the API's values, the sandbox's store.
public struct Instant: Hashable, Comparable, Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// 0..<1_000_000_000.
    public var nanoseconds: Int64

    public static func < (a: Instant, b: Instant) -> Bool { (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds) }

    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t`, `z` and a space for `T` accepted, as RFC 3339 allows).
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in i..<(i + n) {
                guard (0x30...0x39).contains(b[k]) else { return nil }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            i += n
            return v
        }
        func expect(_ chars: String) -> Bool {
            guard i < b.count, chars.utf8.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
              expect("Tt "), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"),
              let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, (0x30...0x39).contains(b[i]) {
                // Digits beyond nanoseconds cannot change an instant cogramctl compares.
                if count < 9 { nanos = nanos * 10 + Int64(b[i] - 0x30) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 9) { nanos *= 10 }
        }
        var offset: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard expect("+-"), let oh = digits(2), expect(":"), let om = digits(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        }
        guard i == b.count else { return nil }
        seconds = CivilDays.days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offset
        nanoseconds = nanos
    }

    public init(date: Date) {
        let whole = date.timeIntervalSince1970.rounded(.down)
        seconds = Int64(whole)
        nanoseconds = min(999_999_999, Int64(((date.timeIntervalSince1970 - whole) * 1e9).rounded()))
    }

    /// Milliseconds since the epoch, as the sandbox's store keeps time.
    public init(milliseconds: Int64) {
        let (q, r) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        seconds = r < 0 ? q - 1 : q
        nanoseconds = (r < 0 ? r + 1000 : r) * 1_000_000
    }

    public var date: Date { Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9) }

    /// RFC 3339 in UTC: `2026-01-05T10:00:00Z`, or with `fractionDigits` digits of the second (truncated):
    /// `2026-01-05T10:00:00.123Z`.
    public func rfc3339(fractionDigits: Int = 0) -> String {
        let days = seconds.floorDivided(by: 86400)
        let second = seconds - days * 86400
        let (year, month, day) = CivilDays.date(days: days)
        let fraction = min(9, max(0, fractionDigits))
        var divisor: Int64 = 1
        for _ in 0..<(9 - fraction) { divisor *= 10 }
        guard (0...9999).contains(year) else {
            var out = Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2) + "T" + Self.pad(second / 3600, 2)
                + ":" + Self.pad(second % 3600 / 60, 2) + ":" + Self.pad(second % 60, 2)
            if fraction > 0 { out += "." + Self.pad(nanoseconds / divisor, fraction) }
            return out + "Z"
        }
        // The sandbox writes one or two of these for every member and project it lists: one buffer, no pieces.
        return String(unsafeUninitializedCapacity: 30) { buffer in
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
            field(second / 3600, width: 2, then: ":")
            field(second % 3600 / 60, width: 2, then: ":")
            if fraction > 0 {
                field(second % 60, width: 2, then: ".")
                field(nanoseconds / divisor, width: fraction, then: "Z")
            } else {
                field(second % 60, width: 2, then: "Z")
            }
            return end
        }
    }

    /// The UTC calendar date, `YYYY-MM-DD`.
    public var fullDate: String {
        let (year, month, day) = CivilDays.date(days: seconds.floorDivided(by: 86400))
        return Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}

extension Instant {
    /// Whether two timestamps name the same instant; texts that are not RFC 3339 must be identical.
    public static func same(_ a: String, _ b: String) -> Bool {
        guard let x = Instant(rfc3339: a), let y = Instant(rfc3339: b) else { return a == b }
        return x == y
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
