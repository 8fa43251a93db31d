import CogramCore

import Foundation

/// External ids that `cogramctl import` generates for projects that have none: a slug of the name, made unique.
public enum ImportSlug {
    /// At most this many characters of the name's slug; external ids may be 128 characters long, and a short
    /// key reads better in addresses and file names.
    public static let maxSlugLength = 60

    /// When nothing of the name survives (a name in CJK script, say).
    public static let fallback = "project"

    /// Lower-case ASCII letters and digits, every other run of characters as one `-`, no `-` at either end;
    /// accents are dropped (é → e, ü → u) and a few letters are spelled out (ø → o, ß → ss, æ → ae).
    public static func slug(_ name: String) -> String {
        slug(name, fallback: fallback)
    }

    /// `slug(_:)` with another word for when nothing of the text survives.
    public static func slug(_ name: String, fallback: String) -> String {
        var out = ""
        var pendingDash = false
        for scalar in name.decomposedStringWithCompatibilityMapping.unicodeScalars {
            let pieces: String
            if let spelled = spelledOut[scalar] {
                pieces = spelled
            } else if scalar.isASCII {
                pieces = String(Character(scalar)).lowercased()
            } else if scalar.properties.generalCategory == .nonspacingMark
                || scalar.properties.generalCategory == .spacingMark
                || scalar.properties.generalCategory == .enclosingMark
            {
                continue  // the accent of a decomposed letter
            } else {
                pieces = "-"
            }
            for character in pieces {
                if character.isASCII, character.isLetter || character.isNumber {
                    if pendingDash, !out.isEmpty { out.append("-") }
                    pendingDash = false
                    out.append(character)
                } else {
                    pendingDash = true
                }
            }
        }
        if out.count > maxSlugLength {
            out = String(out.prefix(maxSlugLength))
            while out.hasSuffix("-") { out.removeLast() }
        }
        return out.isEmpty ? fallback : out
    }

    /// `prefix + slug`, then `-2`, `-3`, … until the result is not in `taken`; the result is inserted into `taken`.
    public static func uniqueExternalID(name: String, prefix: String, taken: inout Set<String>) -> String {
        // Room for the prefix and a `-NNNNN` suffix within the length Cogram allows.
        var stem = slug(name)
        let room = max(1, ContractLimits.externalID.upperBound - ContractLimits.length(of: prefix) - 6)
        if stem.count > room {
            stem = String(stem.prefix(room))
            while stem.count > 1, stem.hasSuffix("-") { stem.removeLast() }
        }
        let base = prefix + stem
        var candidate = base
        var counter = 2
        while taken.contains(candidate) {
            candidate = "\(base)-\(counter)"
            counter += 1
        }
        taken.insert(candidate)
        return candidate
    }

    /// Letters that canonical decomposition does not reduce to ASCII.
    private static let spelledOut: [Unicode.Scalar: String] = [
        "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss", "ẞ": "ss",
        "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ł": "l", "Ł": "l",
        "ı": "i", "ħ": "h", "Ħ": "h", "ŧ": "t", "Ŧ": "t", "ŋ": "n", "Ŋ": "n", "ĸ": "k",
    ]
}
