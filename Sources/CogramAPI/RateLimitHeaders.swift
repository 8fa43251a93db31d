import Foundation

/// Reading `X-RateLimit-Reset` and `Retry-After` in the forms servers actually send.
public enum RateLimitHeaders {
    /// The longest wait an `X-RateLimit-Reset` may impose; a later reset is treated as this far away.
    public static let maxResetWait: Double = 60

    /// How a reset value was written.
    public enum ResetFormat: String, Sendable, Hashable {
        /// Seconds until the window refills (the contract's reading).
        case seconds
        /// A Unix time in seconds.
        case epochSeconds = "Unix time in seconds"
        /// A Unix time in milliseconds.
        case epochMilliseconds = "Unix time in milliseconds"
    }

    public struct Reset: Sendable, Hashable {
        /// Seconds from `now` until the reset, at most `maxResetWait`.
        public var seconds: Double
        public var format: ResetFormat
        /// Whether the value meant a longer wait than `maxResetWait`.
        public var capped: Bool
        /// The wait the value meant before capping.
        public var requested: Double
    }

    /// Reads `X-RateLimit-Reset`: a number of seconds, or a Unix time in seconds (≥ 10⁹, a delta that large being
    /// over 31 years) or in milliseconds (≥ 10¹²). A reset in the past is 0; any wait is capped at `maxResetWait`.
    public static func reset(_ value: String, now: Date = Date()) -> Reset? {
        guard let number = Double(value.trimmingWhitespace()), number.isFinite, number >= 0 else {
            return nil
        }
        let format: ResetFormat
        let wait: Double
        if number >= 1e12 {
            format = .epochMilliseconds
            wait = number / 1000 - now.timeIntervalSince1970
        } else if number >= 1e9 {
            format = .epochSeconds
            wait = number - now.timeIntervalSince1970
        } else {
            format = .seconds
            wait = number
        }
        let requested = max(0, wait)
        return Reset(seconds: min(requested, maxResetWait), format: format, capped: requested > maxResetWait, requested: requested)
    }

    /// How a `Retry-After` value was written.
    public enum RetryAfterFormat: String, Sendable, Hashable {
        case seconds
        case httpDate = "HTTP-date"
    }

    /// Reads `Retry-After`: a non-negative number of seconds, or an HTTP-date (RFC 9110: IMF-fixdate, and the
    /// obsolete RFC 850 and asctime forms). A date in the past is 0 seconds.
    public static func retryAfter(_ value: String, now: Date = Date()) -> (seconds: Double, format: RetryAfterFormat)? {
        let text = value.trimmingWhitespace()
        if let seconds = Int(text) {
            return seconds >= 0 ? (Double(seconds), .seconds) : nil
        }
        for pattern in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = pattern
            let normalized = pattern.hasPrefix("EEE MMM") ? text.split(separator: " ").joined(separator: " ") : text
            if let date = formatter.date(from: normalized) {
                return (max(0, date.timeIntervalSince(now)), .httpDate)
            }
        }
        return nil
    }
}

extension String {
    /// `trimmingCharacters(in: .whitespaces)`, without Foundation's cost for the usual value that has nothing to
    /// trim (read from every answer's headers).
    func trimmingWhitespace() -> String {
        // `.whitespaces` is Unicode's Zs and the tab; in ASCII only the space and the tab are among them, so a value
        // whose first and last bytes are other ASCII characters has nothing to trim.
        func kept(_ byte: UInt8) -> Bool { byte < 0x80 && byte != 0x20 && byte != 0x09 }
        if let first = utf8.first, let last = utf8.last, kept(first), kept(last) { return self }
        return trimmingCharacters(in: .whitespaces)
    }
}
