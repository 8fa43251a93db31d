#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// First Ctrl-C (SIGINT) or SIGTERM: start no new change, let those in flight finish, report. Second: exit at once.
public final class InterruptHandler: @unchecked Sendable {
    // `@unchecked Sendable`: `sources` and `count` are touched only on `queue`, a serial queue.
    private let stop: StopFlag
    private let queue = DispatchQueue(label: "cogramctl.signals")
    private var sources: [any DispatchSourceSignal] = []
    private var count = 0

    public init(stop: StopFlag) {
        self.stop = stop
    }

    public func install() {
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

    /// Whether SIGINT or SIGTERM arrived since `install()`.
    public var signalled: Bool { queue.sync { count > 0 } }

    public func uninstall() {
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
