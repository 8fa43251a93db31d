import Foundation
import Synchronization

/// Runs the built `cogramctl` binary, as users and CI do.
public enum Binary {
    /// The binary beside the test bundle (`swift build` puts every product in one folder), or `COGRAMCTL_BIN`.
    public static let path: String = {
        if let override = ProcessInfo.processInfo.environment["COGRAMCTL_BIN"] { return override }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On Linux the test runner is `<build>/cogramctlPackageTests.xctest`; elsewhere it may sit deeper.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("cogramctl").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return Repository.path(".build/debug/cogramctl")
    }()

    public struct Result: Sendable {
        /// The exit status, or 128 plus the signal's number when a signal ended it (a crash, the timeout), so that
        /// a signal is never read as an exit status of the same number.
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `cogramctl args…` in `directory` (the repository root by default) with a clean environment
    /// plus `environment`, feeding `input` on stdin; kills it after `timeout` seconds.
    ///
    /// Asynchronous and non-blocking on purpose: the sandbox a test starts runs in this process on Swift's
    /// cooperative threads, which a blocking wait would starve (there are as few as the machine's cores).
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
        in directory: URL = Repository.root, timeout: TimeInterval = 180, executable: String = path
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        // Pipes are drained on Dispatch threads, so that a chatty child never blocks on a full pipe.
        for (pipe, box) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                box.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        group.enter()
        process.terminationHandler = { _ in group.leave() }
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { continuation.resume() }
        }
        watchdog.cancel()
        return Result(
            status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus,
            stdout: String(decoding: outData.get(), as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self)
        )
    }
}

/// A lock-protected buffer for the pipe readers.
private final class DataBox: Sendable {
    private let data = Mutex(Data())
    func set(_ value: Data) { data.withLock { $0 = value } }
    func get() -> Data { data.withLock { $0 } }
}
