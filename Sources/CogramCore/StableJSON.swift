import Foundation

/// The JSON form of every document cogramctl writes (plans, SARIF logs, access reports): sorted keys, pretty
/// printed, slashes unescaped, with a final newline, so that the same document always has the same bytes.
public enum StableJSON {
    public static func data(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}
