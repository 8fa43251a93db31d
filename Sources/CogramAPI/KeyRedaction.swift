import Foundation

/// Finds the API key in outside text in any form a server or proxy might echo it: any case, percent-encoded or
/// JSON-escaped (wholly or in part), base64 (at any alignment, as inside a Basic credential) or hex, and any run
/// of 8 or more consecutive characters of it. Each such run becomes `***`.
///
/// Works on bytes: every 8-byte window of the text (lower-cased, and again with percent and `\u00XX` escapes
/// decoded) is looked up in the set of the 8-byte windows of the key's forms, and the union of the windows that
/// match is replaced. Linear in the text.
enum KeyRedaction {
    static let window = 8

    static func redact(_ text: String, key: String) -> String {
        let keyBytes = Array(key.utf8)
        guard keyBytes.count >= 4 else { return text }
        guard keyBytes.count >= window else {
            return text.replacingOccurrences(of: key, with: "***", options: [.caseInsensitive])
        }
        let grams = windows(of: forms(of: keyBytes))
        let bytes = Array(text.utf8)
        var marked = [Bool](repeating: false, count: bytes.count)
        var found = mark(View(raw: bytes), grams: grams, in: &marked)
        found = mark(View(decoding: bytes), grams: grams, in: &marked) || found
        guard found else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if marked[index] {
                out.append(contentsOf: Array("***".utf8))
                while index < bytes.count, marked[index] { index += 1 }
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The key as written, hex-encoded, percent-encoded byte by byte, and base64 at each of the three alignments
    /// (only the characters that depend on the key alone).
    static func forms(of key: [UInt8]) -> [[UInt8]] {
        var forms = [key]
        let hexDigits = Array("0123456789abcdef".utf8)
        forms.append(key.flatMap { [hexDigits[Int($0 >> 4)], hexDigits[Int($0 & 15)]] })
        forms.append(key.flatMap { [UInt8(ascii: "%"), hexDigits[Int($0 >> 4)], hexDigits[Int($0 & 15)]] })
        for offset in 0..<3 {
            let encoded = Array(Data(Array(repeating: 0, count: offset) + key).base64EncodedString().utf8)
            // Leading characters mix in the padding bytes; trailing ones depend on what follows the key.
            let skip = offset == 0 ? 0 : (offset * 8 + 5) / 6
            let stable = (offset + key.count) * 8 / 6
            guard stable > skip else { continue }
            let middle = Array(encoded[skip..<stable])
            forms.append(middle)
            // The URL-safe alphabet.
            forms.append(middle.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 })
        }
        return forms
    }

    /// Every `window`-byte run of every form, lower-cased and packed into an integer.
    static func windows(of forms: [[UInt8]]) -> Set<UInt64> {
        var set = Set<UInt64>()
        for form in forms where form.count >= window {
            let lowered = form.map(lower)
            for start in 0...(lowered.count - window) { set.insert(pack(lowered[start..<(start + window)])) }
        }
        return set
    }

    /// Marks the original bytes of every window of `view` found in `grams`; whether any was.
    private static func mark(_ view: View, grams: Set<UInt64>, in marked: inout [Bool]) -> Bool {
        guard view.bytes.count >= window else { return false }
        var found = false
        for start in 0...(view.bytes.count - window) where grams.contains(pack(view.bytes[start..<(start + window)])) {
            found = true
            for index in view.origins[start]..<view.ends[start + window - 1] { marked[index] = true }
        }
        return found
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    private static func pack(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Text bytes, lower-cased, each with the range of original bytes it stands for.
    private struct View {
        var bytes: [UInt8] = []
        var origins: [Int] = []
        var ends: [Int] = []

        init(raw: [UInt8]) {
            bytes = raw.map(KeyRedaction.lower)
            origins = Array(raw.indices)
            ends = raw.indices.map { $0 + 1 }
        }

        /// With `%XX` and `\u00XX` escapes decoded.
        init(decoding raw: [UInt8]) {
            var index = 0
            while index < raw.count {
                if raw[index] == UInt8(ascii: "%"), index + 2 < raw.count, let value = Self.hex(raw[(index + 1)...(index + 2)]) {
                    append(value, from: index, to: index + 3)
                    index += 3
                } else if raw[index] == UInt8(ascii: "\\"), index + 5 < raw.count, raw[index + 1] == UInt8(ascii: "u"),
                          raw[index + 2] == UInt8(ascii: "0"), raw[index + 3] == UInt8(ascii: "0"),
                          let value = Self.hex(raw[(index + 4)...(index + 5)]) {
                    append(value, from: index, to: index + 6)
                    index += 6
                } else {
                    append(raw[index], from: index, to: index + 1)
                    index += 1
                }
            }
        }

        private mutating func append(_ byte: UInt8, from start: Int, to end: Int) {
            bytes.append(KeyRedaction.lower(byte))
            origins.append(start)
            ends.append(end)
        }

        private static func hex(_ digits: ArraySlice<UInt8>) -> UInt8? {
            var value: UInt8 = 0
            for digit in digits {
                let nibble: UInt8
                switch digit {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | nibble
            }
            return value
        }
    }
}
