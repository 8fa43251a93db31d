import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Clocks and memory readings for the benchmark.
enum Measure {
    /// CPU time of the calling thread, in seconds: unaffected by what else the machine runs.
    static func threadCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Seconds of `body`'s wall time.
    static func wall(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        return (ContinuousClock.now - start).seconds
    }

    /// A field of /proc/self/status in kB (`VmRSS`, `VmHWM`), or nil where there is no procfs.
    static func statusKilobytes(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            // "VmHWM:\t  320632 kB"
            return line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
        }
        return nil
    }

    /// Sets the peak resident set size (`VmHWM`) back to the current one (Linux ≥ 4.0), so that a later
    /// `VmHWM` reading is the peak of what ran in between. Returns false when the kernel refuses.
    static func resetPeakResidentSize() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// Gives freed heap pages back to the system (glibc's `malloc_trim(0)`, looked up at run time because the
    /// Glibc module does not import malloc.h), so that a later allocation shows up in the resident size instead
    /// of silently reusing pages an earlier phase left behind. Returns false where there is no such function.
    @discardableResult
    static func trimHeap() -> Bool {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        // RTLD_DEFAULT is the null handle on glibc.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return false }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        return true
        #else
        return false
        #endif
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

/// Runs CPU-bound synchronous work on a thread of its own and awaits its result, so that it never occupies a
/// thread of the cooperative pool (2 threads on this machine) while an in-process sandbox needs them.
func onDedicatedThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        // The composer is iterative, but the planner and Foundation like a roomy stack.
        thread.stackSize = 16 << 20
        thread.start()
    }
}
