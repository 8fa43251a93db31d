import Foundation
import Synchronization

/// How one change of a plan ended.
public enum ApplyOutcome: Sendable, Hashable {
    /// Applied as planned.
    case done
    /// Cogram already was (or was brought) in the planned state by another route; the note says which.
    case reconciled(String)
    /// The API refused it; the message is the API error's.
    case failed(String)
    /// Not attempted; the reason says why (a failed create, an interruption, …).
    case skipped(String)
    /// Refused by the API in a way that is a warning, not a failure: an offboarding removal from an archived
    /// project answered 409 `conflict` (cli.md, "Archived projects"). Cogram keeps the membership; later plans
    /// and the access report keep showing it.
    case kept(String)

    public var isSuccess: Bool {
        switch self {
        case .done, .reconciled, .kept: true
        case .failed, .skipped: false
        }
    }
}

/// One change and its outcome.
public struct ChangeResult: Sendable, Hashable {
    public var action: ChangeAction
    public var address: String
    public var outcome: ApplyOutcome

    public init(action: ChangeAction, address: String, outcome: ApplyOutcome) {
        self.action = action
        self.address = address
        self.outcome = outcome
    }
}

/// What `apply` did, change by change, in plan order.
public struct ApplyReport: Sendable, Hashable {
    public var results: [ChangeResult]
    /// Write requests the applier issued (creates, PATCHes, PUTs, DELETEs, including those of reconciliation;
    /// retries inside the client are not counted here, see `CogramClientProtocol.requestCount`).
    public var writes: Int
    /// True when the stop flag ended the apply early.
    public var interrupted: Bool

    public init(results: [ChangeResult], writes: Int, interrupted: Bool) {
        self.results = results
        self.writes = writes
        self.interrupted = interrupted
    }

    public var done: Int { results.count { $0.outcome == .done } }
    public var reconciled: Int { results.count { if case .reconciled = $0.outcome { true } else { false } } }
    public var kept: Int { results.count { if case .kept = $0.outcome { true } else { false } } }
    public var failed: Int { results.count { if case .failed = $0.outcome { true } else { false } } }
    public var skipped: Int { results.count { if case .skipped = $0.outcome { true } else { false } } }

    /// Every change applied (done or reconciled): exit code 0.
    public var succeeded: Bool { results.allSatisfy(\.outcome.isSuccess) }
}

/// Reported after each change finishes.
public struct ProgressEvent: Sendable, Hashable {
    public var result: ChangeResult
    /// Changes finished so far, this one included.
    public var completed: Int
    public var total: Int

}

/// Set from a SIGINT handler, or stopped by its deadline: apply starts no new change, lets the running ones
/// finish, and skips the rest.
///
/// The deadline is read on every check rather than set by a timer, so that no change can start after it while a
/// timer task waits for a thread: past the deadline a change would otherwise fail at once, reported as failed
/// instead of not started.
///
public final class StopFlag: Sendable {
    private let stopped = Mutex(false)
    private let deadline: ContinuousClock.Instant?

    /// A flag that is also stopped from `deadline` on (nil: only by `stop()`).
    public init(deadline: ContinuousClock.Instant? = nil) {
        self.deadline = deadline
    }

    public func stop() {
        stopped.withLock { $0 = true }
    }

    public var isStopped: Bool {
        if let deadline, ContinuousClock.now >= deadline { return true }
        return stopped.withLock { $0 }
    }
}

// MARK: - Rendering

/// Which changes the human report lists.
public enum ReportListing: Sendable {
    /// Every change with its outcome (on a terminal, below a plan that scrolled away).
    case everyChange
    /// Only what did not go as planned: failures, reconciliations and skips, but not the changes an interrupt
    /// left unstarted (the counts say how many). For logs, where the plan above already lists each change.
    case exceptions
}

/// The human report of an apply: one line per change (see `ReportListing`), then
/// `Apply complete: … done, … reconciled, … failed, … skipped.`
public func renderReport(_ report: ApplyReport, color: Bool, listing: ReportListing = .everyChange) -> String {
    let style = Style(enabled: color)
    var lines: [String] = []
    for result in report.results where listing == .everyChange || result.isException(in: report) {
        let what = "\(result.action.rawValue) \(escapeForTerminal(result.address))"
        switch result.outcome {
        case .done:
            lines.append("  \(style.green("done"))        \(what)")
        case .reconciled(let note):
            lines.append("  \(style.cyan("reconciled"))  \(what) (\(escapeForTerminal(note)))")
        case .failed(let message):
            lines.append("  \(style.red("FAILED"))      \(what): \(escapeForTerminal(message))")
        case .skipped(let reason):
            lines.append("  \(style.yellow("skipped"))     \(what) (\(escapeForTerminal(reason)))")
        case .kept(let warning):
            lines.append("  \(style.yellow("kept"))        \(what) (warning: \(escapeForTerminal(warning)))")
        }
    }
    var counts = "\(report.done) done, \(report.reconciled) reconciled, \(report.failed) failed, \(report.skipped) skipped"
    counts += report.kept > 0 ? ", \(report.kept) kept by Cogram (warnings)." : "."
    let headline = report.interrupted ? "Apply interrupted: " : "Apply complete: "
    let ok = report.succeeded && !report.interrupted
    lines.append(style.bold(ok ? style.green(headline + counts) : style.red(headline + counts)))
    return lines.joined(separator: "\n") + "\n"
}

extension ChangeResult {
    /// Not simply done, and not merely left unstarted by an interrupt.
    func isException(in report: ApplyReport) -> Bool {
        switch outcome {
        case .done: false
        case .skipped(let reason): !(report.interrupted && reason == "interrupted")
        case .reconciled, .failed, .kept: true
        }
    }
}

/// ANSI styling that is a no-op when colour is off.
struct Style {
    var enabled: Bool

    private func wrap(_ code: String, _ s: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func bold(_ s: String) -> String { wrap("1", s) }
    func red(_ s: String) -> String { wrap("31", s) }
    func green(_ s: String) -> String { wrap("32", s) }
    func yellow(_ s: String) -> String { wrap("33", s) }
    func cyan(_ s: String) -> String { wrap("36", s) }
    func dim(_ s: String) -> String { wrap("2", s) }
}
