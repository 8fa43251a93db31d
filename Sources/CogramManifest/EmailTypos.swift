/// Offline "did you mean" for emails: an email written once in the manifests that is one typo away from one
/// written more often is most likely a typo of it. Only the rarer spelling is flagged, so two different people
/// who are each named once (`jon@`, `john@`) are left alone. Warnings, since both spellings may be real.
///
/// One typo: a character wrong, missing, extra, or two neighbours swapped. Candidates come from an index of
/// one-character deletions (two strings one such typo apart share a deletion), so the check stays linear in the
/// number of emails instead of comparing every pair.
public enum EmailTypos {
    public static func check(_ desired: DesiredState) -> [Diagnostic] {
        var entries: [(email: String, normalized: String, location: SourceLocation)] = []
        for user in desired.users { entries.append((user.email, user.normalizedEmail, user.location)) }
        for group in desired.groups {
            for member in group.members { entries.append((member.email, member.normalizedEmail, member.location)) }
        }
        for project in desired.projects {
            for member in project.members ?? [] where member.group == nil {
                entries.append((member.email, member.normalizedEmail, member.location))
            }
        }
        var counts: [String: Int] = [:]
        for entry in entries { counts[entry.normalized, default: 0] += 1 }
        var index: [String: [String]] = [:]
        for (email, count) in counts where count > 1 {
            for variant in variants(of: email) { index[variant, default: []].append(email) }
        }
        guard !index.isEmpty else { return [] }
        return entries.compactMap { entry in
            guard counts[entry.normalized] == 1 else { return nil }
            var candidates = Set<String>()
            for variant in variants(of: entry.normalized) { candidates.formUnion(index[variant] ?? []) }
            let close = candidates.filter { Suggestion.editDistance(entry.normalized, $0) == 1 }
            // The most written, then the first in order: the same answer on every run.
            guard let guess = close.max(by: { (counts[$0] ?? 0, $1) < (counts[$1] ?? 0, $0) }) else { return nil }
            return Diagnostic(.warning, at: entry.location,
                "\(entry.email) appears only here, and \(guess) appears \(counts[guess] ?? 0) times; did you mean \(guess)?")
        }
    }

    /// The string and every string one character shorter.
    static func variants(of s: String) -> Set<String> {
        let characters = Array(s)
        var out: Set<String> = [s]
        for i in characters.indices {
            var shorter = characters
            shorter.remove(at: i)
            out.insert(String(shorter))
        }
        return out
    }
}
