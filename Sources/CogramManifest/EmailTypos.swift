/// Offline "did you mean" for emails: an email written once in the manifests that is a small edit away from one
/// written more often is most likely a typo of it. Only the rarer spelling is flagged, so two different people
/// who are each named once (`jon@`, `john@`) are left alone. Warnings, since both spellings may be real.
public enum EmailTypos {
    /// Above this many comparisons (emails written once × emails written more often) the check is skipped: it
    /// is a convenience, and validating a very large organization must stay fast.
    static let maxComparisons = 4_000_000

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
        let frequent = counts.filter { $0.value > 1 }.keys.sorted()
        let once = entries.filter { counts[$0.normalized] == 1 }
        guard !frequent.isEmpty, !once.isEmpty, once.count * frequent.count <= maxComparisons else { return [] }
        return once.compactMap { entry in
            guard let guess = Suggestion.closest(to: entry.normalized, in: frequent) else { return nil }
            return Diagnostic(.warning, at: entry.location,
                "\(entry.email) appears only here, and \(guess) appears \(counts[guess] ?? 0) times; did you mean \(guess)?")
        }
    }
}
