/// The emails of project members met during one load, found by their bytes: a large organization lists a few
/// thousand people in hundreds of thousands of member entries, so each email's `String` is made, and checked,
/// once, and every later entry shares it. Each normalized email also gets a small number, so that a project's
/// duplicate members are found by an array lookup instead of a dictionary of strings per project.
struct EmailTable {
    /// One distinct byte sequence met as an email, or as an email's normalized form.
    private struct Entry {
        var email: String
        /// `ManifestDecoder.isPlausibleEmail(email)`; nil until asked for.
        var plausible: Bool?
        /// The number of `normalizeEmail(email)`; -1 until asked for.
        var normalized: Int32
        /// This entry's number as a normalized email (ASCII only); -1 until one is given.
        var asKey: Int32
    }

    private var entries: [Entry] = []
    /// Each entry's bytes in `arena`: apart from `entries`, so that a probe reads a few compact arrays.
    private var spans: [Span] = []
    private var arena: [UInt8] = []

    private struct Span {
        var offset: Int
        var count: Int
    }

    /// Open addressing with linear probing, a power of two long (empty until the first email, so that an empty
    /// table costs nothing to make). Each slot keeps its entry's hash, so that a probe reads entries only on a match.
    private var slots: [Slot] = []

    private struct Slot {
        /// The low half of the hash (the slot index comes from the same bits, so they also tell entries apart).
        var hash: UInt32
        /// Entry index + 1; 0 for an empty slot.
        var entry: Int32
    }

    /// Numbers of normalized emails that are not ASCII, which `String` compares by canonical equivalence
    /// rather than by bytes.
    private var unicodeKeys: [String: Int32] = [:]
    private var keyCount: Int32 = 0
    /// For each normalized email's number: the list it was last seen in, and its node there.
    private var seenInList: [Int32] = []
    private var firstNode: [YAMLDocument.NodeID] = []
    private var list: Int32 = 0

    /// The index of the entry for `bytes`, made when new.
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        // Hasher is seeded per process, so a file cannot be written to make its emails collide.
        let hash = Hasher.hash(bytes)
        if slots.isEmpty { slots = Array(repeating: Slot(hash: 0, entry: 0), count: 1024) }
        let mask = slots.count - 1
        var slot = hash & mask
        let short = UInt32(truncatingIfNeeded: hash)
        while true {
            let stored = Int(slots[slot].entry)
            if stored == 0 { break }
            if slots[slot].hash == short, spans[stored - 1].count == bytes.count,
               arenaEquals(spans[stored - 1].offset, bytes) {
                return stored - 1
            }
            slot = (slot + 1) & mask
        }
        let offset = arena.count
        arena.append(contentsOf: bytes)
        entries.append(Entry(email: String(decoding: bytes, as: UTF8.self), plausible: nil, normalized: -1, asKey: -1))
        spans.append(Span(offset: offset, count: bytes.count))
        slots[slot] = Slot(hash: short, entry: Int32(truncatingIfNeeded: entries.count))
        if entries.count * 2 > slots.count { grow() }
        return entries.count - 1
    }

    func email(_ index: Int) -> String { entries[index].email }

    /// Whether the entry's email passes `ManifestDecoder.isPlausibleEmail`, checked once per entry.
    mutating func isPlausible(_ index: Int) -> Bool {
        if let known = entries[index].plausible { return known }
        let plausible = ManifestDecoder.isPlausibleEmail(entries[index].email)
        entries[index].plausible = plausible
        return plausible
    }

    /// The number of the entry's normalized email.
    mutating func normalizedKey(_ index: Int) -> Int32 {
        let known = entries[index].normalized
        if known >= 0 { return known }
        let key = key(normalized: normalizeEmail(entries[index].email))
        entries[index].normalized = key
        return key
    }

    /// The number of an email already normalized: equal numbers for equal strings.
    mutating func key(normalized: String) -> Int32 {
        var text = normalized
        let entry: Int? = text.withUTF8 { bytes in
            bytes.allSatisfy { $0 < 0x80 } ? intern(bytes) : nil
        }
        guard let entry else {
            if let key = unicodeKeys[normalized] { return key }
            let key = newKey()
            unicodeKeys[normalized] = key
            return key
        }
        if entries[entry].asKey < 0 { entries[entry].asKey = newKey() }
        return entries[entry].asKey
    }

    /// Starts a member list: `firstInList` forgets what earlier lists held.
    mutating func startList() { list += 1 }

    /// nil the first time `key` is met in the current list (remembering `node`), else the node it was first met at.
    mutating func firstInList(_ key: Int32, at node: YAMLDocument.NodeID) -> YAMLDocument.NodeID? {
        let index = Int(key)
        if seenInList[index] == list { return firstNode[index] }
        seenInList[index] = list
        firstNode[index] = node
        return nil
    }

    private mutating func newKey() -> Int32 {
        let key = keyCount
        keyCount += 1
        seenInList.append(0)
        firstNode.append(0)
        return key
    }

    /// Compared a word at a time in place: emails are a few words long, shorter than a call to `memcmp` pays for.
    private func arenaEquals(_ offset: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return arena.withUnsafeBufferPointer { stored in
            let left = UnsafeRawPointer(stored.baseAddress! + offset), right = UnsafeRawPointer(base)
            var index = 0
            while index + 8 <= bytes.count {
                if left.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    != right.loadUnaligned(fromByteOffset: index, as: UInt64.self) { return false }
                index += 8
            }
            while index < bytes.count {
                if left.load(fromByteOffset: index, as: UInt8.self) != right.load(fromByteOffset: index, as: UInt8.self) {
                    return false
                }
                index += 1
            }
            return true
        }
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        var grown = [Slot](repeating: Slot(hash: 0, entry: 0), count: capacity)
        let mask = capacity - 1
        for old in slots where old.entry != 0 {
            var slot = Int(old.hash) & mask
            while grown[slot].entry != 0 { slot = (slot + 1) & mask }
            grown[slot] = old
        }
        slots = grown
    }
}

extension Hasher {
    /// The bytes fed as whole words (the last word overlapping the one before when the length is not a multiple of
    /// eight, with the length fed too): cheaper than `combine(bytes:)` for strings of a few words.
    fileprivate static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes.count)
        guard let base = bytes.baseAddress else { return hasher.finalize() }
        let raw = UnsafeRawPointer(base)
        if bytes.count < 8 {
            var word: UInt64 = 0
            for byte in bytes { word = word << 8 | UInt64(byte) }
            hasher.combine(word)
            return hasher.finalize()
        }
        var index = 0
        while index + 8 <= bytes.count {
            hasher.combine(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        if index < bytes.count { hasher.combine(raw.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)) }
        return hasher.finalize()
    }
}
