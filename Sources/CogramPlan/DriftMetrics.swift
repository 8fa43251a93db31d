import CogramCore
import Foundation
import Prometheus
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One organization's line in the metrics of `drift --metrics`: its report, or a check that failed.
public enum DriftMetricsEntry: Sendable {
    /// The check finished; its counts and time go into the file.
    case checked(DriftReport)
    /// The check failed (exit 1): only `cogram_drift_check_success 0` and the time, as the counts are unknown.
    case failed(organization: String, at: Date)

    var organization: String {
        switch self {
        case .checked(let report): report.organization.label
        case .failed(let organization, _): organization
        }
    }
}

extension DriftMetricsEntry {
    /// One entry per organization of `names` (in order): its report when its check finished without plan errors
    /// (an unknown email stops a check as it stops `plan`), else a failed check at `at`.
    public static func entries(
        _ results: [Result<DriftCheck, any Error>], organizations names: [String], at: Date
    ) -> [DriftMetricsEntry] {
        names.indices.map { index in
            guard index < results.count, let check = try? results[index].get(), check.plan.errors.isEmpty else {
                return .failed(organization: names[index], at: at)
            }
            return .checked(check.report)
        }
    }
}

/// The Prometheus text exposition of drift checks, for node_exporter's textfile collector.
///
/// Rendered by swift-prometheus (label escaping, `# HELP` and `# TYPE` lines). Each family gets its own registry,
/// and the samples of a family are sorted, because the registry emits in hash order: the same checks give the
/// same bytes, so that a file can be compared and tested.
public enum DriftMetrics {
    // Computed: the library's descriptor is not Sendable, so it cannot be a stored static.
    public static var driftObjects: MetricNameDescriptor {
        descriptor("drift_objects", help: "Differences between Cogram and the manifests found by the last drift check, by kind.")
    }

    public static var unmanagedObjects: MetricNameDescriptor {
        descriptor("unmanaged_objects", help: "Objects in Cogram that no manifest manages, found by the last drift check, by kind.")
    }

    public static var checkSuccess: MetricNameDescriptor {
        descriptor("drift_check_success", help: "1 when the last drift check read Cogram and compared it, 0 when it failed.")
    }

    public static var checkTimestamp: MetricNameDescriptor {
        descriptor(
            "drift_check_timestamp", unit: "seconds",
            help: "When the last drift check ran (finished or failed), in seconds since the Unix epoch.")
    }

    /// Every family is `cogram_…`.
    private static func descriptor(_ name: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "cogram", metricName: name, unitName: unit, helpText: help)
    }

    /// The exposition text of `entries` (one per organization).
    public static func render(_ entries: [DriftMetricsEntry]) -> String {
        let drift = PrometheusCollectorRegistry()
        let unmanaged = PrometheusCollectorRegistry()
        let success = PrometheusCollectorRegistry()
        let timestamp = PrometheusCollectorRegistry()
        for entry in entries {
            let organization = ("organization", entry.organization)
            let checkedAt: Date
            switch entry {
            case .checked(let report):
                for (kind, count) in report.countsByKind {
                    drift.makeGauge(descriptor: driftObjects, labels: [organization, ("kind", kind.rawValue)]).set(to: Double(count))
                }
                for (kind, count) in report.unmanaged.labelled {
                    unmanaged.makeGauge(descriptor: unmanagedObjects, labels: [organization, ("kind", kind)]).set(to: Double(count))
                }
                success.makeGauge(descriptor: checkSuccess, labels: [organization]).set(to: 1)
                checkedAt = Instant(rfc3339: report.checkedAt)?.date ?? Date()
            case .failed(_, let at):
                success.makeGauge(descriptor: checkSuccess, labels: [organization]).set(to: 0)
                checkedAt = at
            }
            timestamp.makeGauge(descriptor: checkTimestamp, labels: [organization])
                .set(to: checkedAt.timeIntervalSince1970.rounded(.down))
        }
        return [drift, unmanaged, success, timestamp].map { sortedSamples($0.emitToString()) }.joined()
    }

    /// The comment lines first, as the registry writes them, then the samples in byte order.
    private static func sortedSamples(_ family: String) -> String {
        let lines = family.split(separator: "\n", omittingEmptySubsequences: true)
        let comments = lines.filter { $0.hasPrefix("#") }
        let samples = lines.filter { !$0.hasPrefix("#") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return (comments + samples).map { $0 + "\n" }.joined()
    }

    /// Renders `entries` and replaces the file at `path` atomically: the text goes to a new file in the same
    /// folder, which is renamed over `path`, so that the textfile collector never reads half a file. The file keeps
    /// the mode it had, or gets 0644 (the collector often runs as another user). The temporary name does not end
    /// in `.prom`, which the collector would read.
    public static func write(_ entries: [DriftMetricsEntry], to path: String) throws(DriftMetricsError) {
        let bytes = Array(render(entries).utf8)
        var status = stat()
        let mode: mode_t = stat(path, &status) == 0 ? status.st_mode & 0o7777 : 0o644
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/.\(url.lastPathComponent).cogramctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw DriftMetricsError(path: path, reason: String(cString: strerror(errno))) }
        var failure = writeAll(bytes, to: descriptor)
        // fchmod, not open's mode: the umask must not change the mode the file keeps or gets.
        if failure == nil, fchmod(descriptor, mode) != 0 || fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw DriftMetricsError(path: path, reason: failure)
        }
    }
}

/// Writes every byte, retrying short writes; the reason when it fails.
private func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> String? {
    bytes.withUnsafeBytes { buffer -> String? in
        var written = 0
        while written < buffer.count {
            let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            written += result
        }
        return nil
    }
}

/// The metrics file could not be written.
public struct DriftMetricsError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public var description: String {
        "cannot write the metrics file \(path): \(reason); --metrics needs a writable folder that exists "
            + "(for node_exporter, the folder of --collector.textfile.directory)"
    }
}
