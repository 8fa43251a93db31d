/// A unified diff over lines (`diff -u` layout, three lines of context), for showing what an edit changes.
public enum UnifiedDiff {
    private enum Operation {
        case same(old: Int, new: Int)
        case removed(old: Int)
        case inserted(new: Int)
    }

    /// The diff of `old` to `new`, or "" when they are equal. Lines are shown without their line ends.
    public static func make(old: [UInt8], new: [UInt8], oldName: String, newName: String, context: Int = 3) -> String {
        guard old != new else { return "" }
        let a = lines(old), b = lines(new)
        let difference = b.difference(from: a)
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var operations: [Operation] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, removed.contains(i) {
                operations.append(.removed(old: i))
                i += 1
            } else if j < b.count, inserted.contains(j) {
                operations.append(.inserted(new: j))
                j += 1
            } else {
                operations.append(.same(old: i, new: j))
                i += 1
                j += 1
            }
        }
        var out = "--- \(oldName)\n+++ \(newName)\n"
        var index = 0
        while index < operations.count {
            guard let firstChange = operations[index...].firstIndex(where: { if case .same = $0 { return false } else { return true } }) else { break }
            var start = max(index, firstChange - context)
            if index > 0 { start = max(start, index) }
            // Extend the hunk while changes are within 2 × context lines of each other.
            var end = firstChange
            var cursor = firstChange
            while cursor < operations.count {
                if case .same = operations[cursor] {
                    let nextChange = operations[cursor...].firstIndex { if case .same = $0 { return false } else { return true } }
                    if let nextChange, nextChange - cursor <= 2 * context {
                        cursor = nextChange
                        continue
                    }
                    break
                }
                end = cursor
                cursor += 1
            }
            let stop = min(operations.count, end + 1 + context)
            let hunk = operations[start..<stop]
            var oldStart = 0, newStart = 0, oldCount = 0, newCount = 0
            var body = ""
            var firstOld: Int?, firstNew: Int?
            for operation in hunk {
                switch operation {
                case .same(let o, let n):
                    firstOld = firstOld ?? o
                    firstNew = firstNew ?? n
                    oldCount += 1
                    newCount += 1
                    body += " " + a[o] + "\n"
                case .removed(let o):
                    firstOld = firstOld ?? o
                    oldCount += 1
                    body += "-" + a[o] + "\n"
                case .inserted(let n):
                    firstNew = firstNew ?? n
                    newCount += 1
                    body += "+" + b[n] + "\n"
                }
            }
            // A side with no lines in the hunk is numbered by the line before it, as `diff -u` does.
            oldStart = firstOld.map { $0 + 1 } ?? position(before: hunk.startIndex, in: operations, old: true)
            newStart = firstNew.map { $0 + 1 } ?? position(before: hunk.startIndex, in: operations, old: false)
            if oldCount == 0 { oldStart = position(before: hunk.startIndex, in: operations, old: true) }
            if newCount == 0 { newStart = position(before: hunk.startIndex, in: operations, old: false) }
            out += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n" + body
            index = stop
        }
        return out
    }

    private static func range(_ start: Int, _ count: Int) -> String { count == 1 ? "\(start)" : "\(start),\(count)" }

    /// The number of old (or new) lines before operation `index`.
    private static func position(before index: Int, in operations: [Operation], old: Bool) -> Int {
        var count = 0
        for operation in operations[..<index] {
            switch operation {
            case .same: count += 1
            case .removed: if old { count += 1 }
            case .inserted: if !old { count += 1 }
            }
        }
        return count
    }

    /// The lines of a text without their line ends (LF or CR LF); a last line without a line end counts.
    static func lines(_ bytes: [UInt8]) -> [String] {
        var result: [String] = []
        var start = 0
        for i in bytes.indices where bytes[i] == 0x0A {
            var end = i
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            result.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = i + 1
        }
        if start < bytes.count { result.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return result
    }
}
