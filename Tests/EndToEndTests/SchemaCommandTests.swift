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
        "drift-set": "cogramctl-drift-set.v1.schema.json",
        "access-set": "cogramctl-access-set.v1.schema.json",
        "apply-report-set": "cogramctl-apply-report-set.v1.schema.json",
    ]

    @Test(arguments: ["manifest", "plan", "drift", "access", "plan-set", "drift-set", "access-set", "apply-report-set"])
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
        #expect(result.stderr.contains("manifest, plan, drift, access, plan-set, drift-set, access-set, apply-report-set"), "\(result.stderr)")
    }

    /// Each set's schema holds a copy of its document's schema (a `$ref` to another file would be fetched over the
    /// network by validators): the copy must not drift.
    @Test(arguments: [("plan", "plan-set"), ("drift", "drift-set"), ("access", "access-set")])
    func setSchemaEmbedsItsDocumentSchema(_ document: String, _ set: String) throws {
        func object(_ file: String) throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(contentsOf: Repository.url("schemas/" + file))) as? [String: Any])
        }
        var inner = try object(Self.files[document]!)
        inner["$schema"] = nil
        inner["$id"] = nil
        let innerText = String(decoding: try JSONSerialization.data(withJSONObject: inner, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
            .replacingOccurrences(of: "#/$defs/", with: "#/$defs/\(document)/$defs/")
        let outer = try object(Self.files[set]!)
        let defs = try #require(outer["$defs"] as? [String: Any])
        let embedded = String(decoding: try JSONSerialization.data(withJSONObject: defs[document] ?? [:], options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        #expect(embedded == innerText)
        #expect((outer["properties"] as? [String: Any]).flatMap { $0["kind"] as? [String: Any] }?["const"] as? String == "cogramctl-\(set)")
    }
}
