/// The kinds of diagnostic that loading and checking manifests report, as SARIF rules: an id a dashboard can
/// group and filter by, and help that says what the rule is about and how to fix a finding.
///
/// A diagnostic carries its message only, so its kind is recognised from the message's wording; every message
/// the loader writes maps to a rule other than `manifest` (InvalidExamplesTests checks this for every
/// example in examples/invalid), and `manifest` catches what a new message would otherwise lose.
public struct DiagnosticRule: Sendable, Hashable {
    /// Stable identifier, `COG` and a number: SARIF consumers key on it across runs.
    public var id: String
    /// A short name in PascalCase, as SARIF's `name`.
    public var name: String
    public var summary: String
    public var help: String
    /// The severity the rule's diagnostics have: SARIF's default level for it.
    public var severity: Diagnostic.Severity = .error
    /// Fragments of which a message must contain one.
    var fragments: [String]

    /// The rules in the order they are tried; the first whose fragment the message contains wins.
    public static let all: [DiagnosticRule] = [
        DiagnosticRule(
            id: "COG001", name: "YamlSyntax", summary: "The file is not YAML that cogramctl can read.",
            help: "Fix the YAML at the location shown: indentation with spaces (no tabs), closed quotes and brackets, "
                + "one document per file, UTF-8 text without control characters. The message names the column the "
                + "open list or mapping uses when an indentation is off.",
            fragments: ["invalid YAML", "a tab character", "not valid UTF-8", "UTF-16", "control characters",
                        "cannot read the file", "libyaml", "several YAML documents", "the file is empty",
                        "cannot open the file", "bytes; manifests may be at most", "the file is larger than"]),
        DiagnosticRule(
            id: "COG002", name: "YamlStructure",
            summary: "Anchors, aliases, tags, merge keys or nesting that manifests do not allow.",
            help: "Manifests use plain YAML: standard tags only, aliases that refer to an earlier anchor and expand to "
                + "a bounded size, merge keys ('<<') that take mappings, plain string keys, and at most the documented "
                + "nesting depth.",
            fragments: ["alias", "merge key", "tag '", "nested more than", "mapping keys must be plain strings"]),
        DiagnosticRule(
            id: "COG003", name: "DuplicateKey", summary: "A key appears twice in one mapping.",
            help: "YAML keeps only one of the two values, so the file does not say what it seems to: remove or rename "
                + "one of them.",
            fragments: ["duplicate key"]),
        DiagnosticRule(
            id: "COG004", name: "UnknownKey", summary: "A key the manifest format does not have, or not together with another.",
            help: "Check the spelling against docs/manifest.md (the message suggests the closest key); cogramctl "
                + "refuses unknown keys rather than ignore what was meant. A member entry has 'email' and 'role', or "
                + "'group' with an optional 'role'.",
            fragments: ["unknown key", "a member entry has either"]),
        DiagnosticRule(
            id: "COG005", name: "MissingKey", summary: "A required key is missing.",
            help: "Add the key the message names: every manifest starts with 'version: 1', a project needs "
                + "'external_id' and 'name', a member needs 'email' (or 'group') and 'role', a user needs 'email'.",
            fragments: ["needs '", "missing 'version"]),
        DiagnosticRule(
            id: "COG006", name: "WrongType", summary: "A value of the wrong type (a list where a string belongs, …).",
            help: "Give the value the type the key takes: strings, lists, mappings, true/false or whole numbers as "
                + "docs/manifest.md lists them. Quote a string that YAML would read otherwise.",
            fragments: ["expected a string", "expected a whole number", "expected true or false", "to be a list",
                        "to be a mapping", "must not be null", "must be a list"]),
        DiagnosticRule(
            id: "COG007", name: "DuplicateEntry",
            summary: "A project, user, member, group or section defined twice.",
            help: "Each external_id, user, project id, group and member of a project or group appears once across all "
                + "files, and 'ownership' and 'policies' are set in one file only: remove the second entry or merge "
                + "the two.",
            fragments: ["duplicate member", "duplicate user", "duplicate project", "is listed twice",
                        "is defined twice", "is adopted twice", "may appear in one file only", "is already used as"]),
        DiagnosticRule(
            id: "COG008", name: "Ownership", summary: "An external_id outside the ownership prefix.",
            help: "With 'ownership.external_id_prefix' set, every managed external_id starts with the prefix; rename "
                + "the project's external_id, or adopt a project outside the prefix with 'id:'.",
            fragments: ["ownership prefix", "external_id_prefix must not be empty"]),
        DiagnosticRule(
            id: "COG009", name: "UnknownGroup", summary: "A project includes a group that no file defines.",
            help: "Define the group under 'groups:' or fix the name (the message suggests the closest group).",
            fragments: ["unknown group"]),
        DiagnosticRule(
            id: "COG010", name: "UnusedGroup", summary: "A group no project includes.",
            help: "Remove the group, or add '- group: NAME' to the members of the projects that should include it.",
            severity: .warning, fragments: ["is used by no project"]),
        DiagnosticRule(
            id: "COG011", name: "Policy", summary: "A project breaks a rule of the manifests' 'policies' section.",
            help: "The message names the policy (policies.<key>): change the project to satisfy it (owners, "
                + "description, external_id pattern, guest roles), or change the policy in review.",
            fragments: ["policies."]),
        DiagnosticRule(
            id: "COG012", name: "InvalidValue", summary: "A value the key does not accept.",
            help: "Use one of the values the message lists (roles, versions), a valid email, a name within Cogram's "
                + "length limit, an external_id without white space; the message suggests the closest valid value.",
            fragments: ["invalid ", "must not be empty", "characters long", "contains white space",
                        "must be at least", "unsupported manifest version", "group name", "not a valid ICU",
                        "is less than min_owners"]),
        DiagnosticRule(
            id: "COG013", name: "PossibleEmailTypo",
            summary: "An email written once that is a small edit away from one written more often.",
            help: "Most likely a typo of the other email: correct it. If both are real people, nothing needs to change.",
            severity: .warning, fragments: ["appears only here"]),
        DiagnosticRule(
            id: "COG014", name: "ManifestFiles", summary: "A path that holds no manifests or cannot be read.",
            help: "Give existing *.yaml or *.yml files, or directories that hold them (hidden files and folders are "
                + "skipped).",
            fragments: ["no such file or directory", "cannot list the directory", "holds no *.yaml",
                        "no manifest files"]),
        DiagnosticRule(
            id: "COG015", name: "Organization", summary: "An 'organization' section that cannot bind the manifests to one organization.",
            help: "One 'organization' per root with a 'name' (1-100 characters, no control characters or commas), an "
                + "'anchor' (an admin's user id) and optionally 'api_key_env' (COGRAM_API_KEY or COGRAM_API_KEY_...); "
                + "there is no 'api_url' key, so that a pull request cannot send the key elsewhere.",
            fragments: ["organization name", "api_key_env '", "'organization' may appear", "several organizations",
                        "organization root", "each organization needs its own", "every organization needs 'api_key_env'"]),
        DiagnosticRule(
            id: "COG016", name: "Expiry", summary: "An 'expires' entry that is malformed, or whose date has passed.",
            help: "'expires' is the last day of access as YYYY-MM-DD (UTC); a user with 'expires' also needs 'then'. "
                + "An expired entry counts as absent: remove it from the manifest.",
            fragments: ["for 'expires'", "with 'expires' needs 'then'", "expired on "]),
        DiagnosticRule(
            id: "COG017", name: "Offboarded", summary: "An offboarded person who is still listed, or listed twice.",
            help: "A person under 'offboarded' must hold no access: remove their member, group and users entries "
                + "(`cogramctl offboard` does it) and list them once.",
            fragments: ["is offboarded here", "in offboarded;", "'offboarded' may appear"]),
    ]

    /// What no other rule recognises.
    public static let manifest = DiagnosticRule(
        id: "COG000", name: "Manifest", summary: "A problem in the manifests.",
        help: "Fix the manifest at the location shown; docs/manifest.md describes every key.", fragments: [])

    /// The rule a diagnostic's message belongs to.
    public static func rule(for message: String) -> DiagnosticRule {
        all.first { rule in rule.fragments.contains { message.contains($0) } } ?? manifest
    }
}
