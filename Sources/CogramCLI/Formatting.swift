import Foundation

/// `1 file`, `3 files`.
func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// Parses durations such as `200ms`, `90s`, `90m`, `24h`, `7d` into seconds; nil for anything else or a value that
/// is not positive and finite (`infd` is not a duration).
func parseDuration(_ text: String) -> TimeInterval? {
    if text.hasSuffix("ms") {
        guard let value = Double(text.dropLast(2)), value.isFinite, value > 0 else { return nil }
        return value / 1000
    }
    guard let unit = text.last, let value = Double(text.dropLast()), value.isFinite, value > 0 else { return nil }
    switch unit {
    case "s": return value
    case "m": return value * 60
    case "h": return value * 3600
    case "d": return value * 86400
    default: return nil
    }
}

extension String {
    /// Right-aligned in `width` characters, so that counters in a rewritten status line do not jitter.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
