/// The name of a project's file in the one-project-per-file layout, shared by `import` (which writes that layout)
/// and `drift --adopt` (which adds to it).
public enum ManifestFileName {
    /// The external_id with every character other than ASCII letters, digits, `.`, `_` and `-` replaced by `_`,
    /// and no leading `.` (a hidden file would be easy to miss in review).
    public static func stem(forExternalID externalID: String) -> String {
        var stem = String(externalID.map { c in
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") ? c : "_"
        })
        if stem.hasPrefix(".") { stem = "_" + stem.dropFirst() }
        return stem
    }

    /// `stem.yaml`, else `stem-2.yaml`, `stem-3.yaml`, … until `isTaken` (asked with the lower-cased name, for
    /// case-insensitive file systems) says no.
    public static func unique(forExternalID externalID: String, isTaken: (String) -> Bool) -> String {
        let stem = stem(forExternalID: externalID)
        var name = stem + ".yaml"
        var counter = 2
        while isTaken(name.lowercased()) {
            name = "\(stem)-\(counter).yaml"
            counter += 1
        }
        return name
    }
}
