import CogramManifest
import Foundation
import Testing

/// One manifest file, `org.yaml`, loaded; any error fails the test.
func loadYAML(_ yaml: String) throws -> DesiredState {
    let result = ManifestLoader().load(sources: [SourceFile(path: "org.yaml", bytes: Array(yaml.utf8))])
    #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty, "\(result.diagnostics)")
    return try #require(result.desired)
}

/// Noon UTC of a `YYYY-MM-DD` day: the plan's clock, pinned.
func noon(_ text: String) throws -> Date {
    let day = try #require(CalendarDay(parsing: text))
    return Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch) * 86_400 + 43_200)
}
