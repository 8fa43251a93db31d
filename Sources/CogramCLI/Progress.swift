#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CogramPlan
import Foundation

/// Apply progress on stderr: one rewritten status line on a terminal (done/total, rate, time left), plain lines
/// otherwise (CI logs).
///
/// `@unchecked Sendable`: all mutable state is read and written under `lock` only.
final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let terminal: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast

    init(total: Int, terminal: Bool) {
        self.total = total
        self.terminal = terminal
    }

    func record(_ event: ProgressEvent) {
        lock.lock()
        defer { lock.unlock() }
        let width = String(total).count
        let count = String(event.completed).leftPadded(to: width)
        if terminal {
            let now = Date()
            guard now.timeIntervalSince(lastDraw) > 0.1 || event.completed == event.total else { return }
            lastDraw = now
            let elapsed = max(now.timeIntervalSince(started), 0.001)
            let rate = Double(event.completed) / elapsed
            let left = rate > 0 ? Double(event.total - event.completed) / rate : 0
            let line = "Applying: \(count)/\(event.total) changes · \(String(format: "%.1f", rate))/s · about \(Int(left.rounded(.up)))s left"
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        } else {
            let status: String = switch event.result.outcome {
            case .done: "done"
            case .reconciled: "reconciled"
            case .failed: "FAILED"
            case .skipped: "skipped"
            }
            FileHandle.standardError.write(Data("[\(count)/\(event.total)] \(status) \(event.result.action.rawValue) \(escapeForTerminal(event.result.address))\n".utf8))
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// First Ctrl-C (SIGINT) or SIGTERM: start no new change, let those in flight finish, report. Second: exit at once.
final class InterruptHandler: @unchecked Sendable {
    // `@unchecked Sendable`: `sources` and `count` are touched only on `queue`, a serial queue.
    private let stop: StopFlag
    private let queue = DispatchQueue(label: "cogramctl.signals")
    private var sources: [any DispatchSourceSignal] = []
    private var count = 0

    init(stop: StopFlag) {
        self.stop = stop
    }

    func install() {
        queue.sync {
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { [weak self] in self?.received() }
                source.resume()
                sources.append(source)
            }
        }
    }

    func uninstall() {
        queue.sync {
            for source in sources { source.cancel() }
            sources.removeAll()
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
    }

    private func received() {
        count += 1
        if count == 1 {
            stop.stop()
            FileHandle.standardError.write(Data("\nInterrupt: finishing the changes in flight and starting no new ones (interrupt again to stop at once).\n".utf8))
        } else {
            FileHandle.standardError.write(Data("\nStopped at once; run apply again to converge.\n".utf8))
            exit(130)
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
