#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CogramAPI
import CogramPlan
import Foundation
import Synchronization

/// One status line on stderr, rewritten in place on a terminal (at most ten times a second unless forced) and
/// cleared at the end; off a terminal it draws nothing, and `log` writes plain lines instead. Shared by apply
/// and import.
final class StatusLine: Sendable {
    private struct State {
        var lastDraw = Date.distantPast
        var drawn = false
    }

    private let state = Mutex(State())
    let terminal: Bool
    /// Where the text goes: stderr, or a test's buffer.
    private let write: @Sendable (String) -> Void

    init(terminal: Bool = Terminal.stderrIsTerminal, write: @escaping @Sendable (String) -> Void = { Terminal.writeError(rendered: $0) }) {
        self.terminal = terminal
        self.write = write
    }

    /// Shows `text` as the status, unless the last one was drawn less than 0.1 s ago and `force` is false.
    func show(_ text: String, force: Bool = false) {
        guard terminal else { return }
        state.withLock { state in
            let now = Date()
            guard force || now.timeIntervalSince(state.lastDraw) > 0.1 else { return }
            state.lastDraw = now
            state.drawn = true
            write("\r\u{1B}[K\(text)")
        }
    }

    /// A plain line for logs; on a terminal it replaces the status, which the next `show` draws again.
    func log(_ line: String) {
        state.withLock { state in
            write((terminal && state.drawn ? "\r\u{1B}[K" : "") + line + "\n")
            state.drawn = false
        }
    }

    /// Removes the status from the terminal.
    func clear() {
        state.withLock { state in
            if terminal, state.drawn { write("\r\u{1B}[K") }
            state.drawn = false
        }
    }
}

/// Apply progress on stderr. On a terminal: done/total, rate and time left in the status line. Off a terminal
/// (CI logs): a count at each tenth of the changes and nothing per change, since the plan above already lists
/// each change and the report below names every one that did not simply succeed.
final class ApplyProgress: Sendable {
    private let status: StatusLine
    private let total: Int
    private let started = Date()

    init(total: Int, status: StatusLine = StatusLine()) {
        self.total = total
        self.status = status
    }

    func record(_ event: ProgressEvent) {
        let count = String(event.completed).leftPadded(to: String(total).count)
        if status.terminal {
            let elapsed = max(Date().timeIntervalSince(started), 0.001)
            let rate = Double(event.completed) / elapsed
            let left = rate > 0 ? Double(event.total - event.completed) / rate : 0
            status.show(
                "Applying: \(count)/\(event.total) changes · \(String(format: "%.1f", rate))/s · about \(Int(left.rounded(.up)))s left",
                force: event.completed == event.total)
        } else if Self.isReportingStep(event.completed, of: event.total) {
            status.log("Applying: \(count)/\(event.total) changes finished")
        }
    }

    func finish() { status.clear() }

    /// True at the first change past each tenth of `total` (never for fewer than 10 changes, nor for the last,
    /// which the report follows at once): at most nine lines in a log, however large the plan.
    static func isReportingStep(_ completed: Int, of total: Int) -> Bool {
        guard total >= 10, completed < total else { return false }
        return completed * 10 / total != (completed - 1) * 10 / total
    }
}

/// Reading progress of plan, apply, drift and access on stderr, so that a large organization read at the real
/// rate limit does not look stuck. On a terminal: pages of the project and user lists read (of how many, when the
/// server's total tells), then member lists read of how many, in the status line. Off a terminal (CI logs): a line
/// at each tenth of each list's pages and of the member lists, as apply counts its changes.
final class ReadingProgress: Sendable {
    private let status: StatusLine
    private let pages = Mutex<[ObservedReadProgress.List: PageProgress]>([:])

    init(status: StatusLine = StatusLine()) {
        self.status = status
    }

    /// Shown before the first answer, by import too.
    static let firstLine = "Reading projects and users…"

    func start() {
        status.show(Self.firstLine, force: true)
    }

    func record(_ event: ObservedReadProgress) {
        switch event {
        case .page(let list, let progress):
            let line = pages.withLock { pages in
                pages[list] = progress
                return Self.pagesLine(pages)
            }
            if status.terminal {
                status.show(line, force: progress.total == progress.read)
            } else if let total = progress.total, ApplyProgress.isReportingStep(progress.read, of: total) {
                let count = String(progress.read).leftPadded(to: String(total).count)
                status.log("Reading \(list.rawValue): \(count)/\(total) pages read")
            }
        case .listed(let projects, let users, let lists):
            status.show(
                "Read \(plural(projects, "project")) and \(plural(users, "user")); reading member lists: 0/\(lists) projects",
                force: true)
        case .members(let done, let total):
            let count = String(done).leftPadded(to: String(total).count)
            if status.terminal {
                status.show("Reading member lists: \(count)/\(total) projects", force: done == total)
            } else if ApplyProgress.isReportingStep(done, of: total) {
                status.log("Reading member lists: \(count)/\(total) projects read")
            }
        }
    }

    /// "Reading projects: 3/10 pages · users: 1 page": each list's pages so far, of how many when known.
    static func pagesLine(_ pages: [ObservedReadProgress.List: PageProgress]) -> String {
        let parts = [ObservedReadProgress.List.projects, .users].compactMap { list -> String? in
            guard let progress = pages[list] else { return nil }
            let count = progress.total.map { "\(progress.read)/\($0) pages" } ?? plural(progress.read, "page")
            return "\(list.rawValue): \(count)"
        }
        return "Reading " + parts.joined(separator: " · ")
    }

    func finish() { status.clear() }
}
