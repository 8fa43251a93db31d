import CogramTestSupport
import Foundation
import Testing

@Suite struct SchemaCommandTests {
    static let files = [
        "manifest": "cogram-manifest.v1.schema.json",
        "plan": "cogramctl-plan.v1.schema.json",
        "drift": "cogramctl-drift.v1.schema.json",
        "access": "cogramctl-access.v1.schema.json",
        "plan-set": "cogramctl-plan-set.v1.schema.json",
        "apply-report-set": "cogramctl-apply-report-set.v1.schema.json",
    ]

    @Test(arguments: ["manifest", "plan", "drift", "access", "plan-set", "apply-report-set"])
    func printsTheFileByteForByte(_ name: String) async throws {
        let result = try await Binary.run(["schema", name])
        #expect(result.status == 0, "\(result.stderr)")
        let file = try Data(contentsOf: Repository.url("schemas/" + Self.files[name]!))
        #expect(Data(result.stdout.utf8) == file, "run scripts/embed-schemas.py after editing schemas/")
        #expect(result.stderr.isEmpty)
    }

    @Test func unknownNameIsAUsageError() async throws {
        let result = try await Binary.run(["schema", "plans"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("manifest, plan, drift, access, plan-set, apply-report-set"), "\(result.stderr)")
    }

    /// The plan-set schema holds a copy of the plan schema (a `$ref` to another file would be fetched over the
    /// network by validators): the copy must not drift.
    @Test func planSetEmbedsThePlanSchema() throws {
        func object(_ file: String) throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(contentsOf: Repository.url("schemas/" + file))) as? [String: Any])
        }
        var plan = try object("cogramctl-plan.v1.schema.json")
        plan["$schema"] = nil
        plan["$id"] = nil
        let planText = String(decoding: try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
            .replacingOccurrences(of: "#/$defs/", with: "#/$defs/plan/$defs/")
        let defs = try #require(try object("cogramctl-plan-set.v1.schema.json")["$defs"] as? [String: Any])
        let embedded = String(decoding: try JSONSerialization.data(withJSONObject: defs["plan"] ?? [:], options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        #expect(embedded == planText)
    }
}
