/// The plain scalars that YAML readers take for something other than a string.
///
/// The loader types scalars by the YAML 1.2 core schema (`null`, `true`, `false`, …, exact spellings), so these
/// are the only words it reads as null or a boolean; a writer must also quote the YAML 1.1 booleans (`yes`, `no`,
/// `on`, `off`, `y`, `n`), which older readers still retype.
public enum YAMLWords {
    /// Null in the core schema (the empty plain scalar is null too).
    public static let nullWords: [StaticString] = ["~", "null", "Null", "NULL"]
    /// True in the core schema.
    public static let trueWords: [StaticString] = ["true", "True", "TRUE"]
    /// False in the core schema.
    public static let falseWords: [StaticString] = ["false", "False", "FALSE"]
    /// Booleans of YAML 1.1 only, lower-case (1.1 readers accept several capitalisations).
    public static let yaml11BooleanWords: [StaticString] = ["yes", "no", "y", "n", "on", "off"]

    /// Every word some YAML reader takes for a null or a boolean, lower-cased, for writers that compare
    /// case-insensitively (which also quotes a few harmless spellings such as `yEs`).
    public static let typedLowercased: Set<String> = Set(
        (nullWords + trueWords + falseWords + yaml11BooleanWords).map { "\($0)".lowercased() })
}
