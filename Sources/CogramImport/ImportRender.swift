import CogramManifest
import CogramPlan

/// How `cogramctl import` splits the manifests into files.
public enum ImportLayout: String, Sendable, Hashable, CaseIterable {
    /// One file (or stdout) with everything.
    case single
    /// `organization.yaml` (version, ownership, users) and one `<external_id>.yaml` per project.
    case perProject = "per-project"
}

/// The comment block at the top of every file.
public struct ImportHeader: Sendable, Hashable {
    /// The manifest schema relative to the file, for the `yaml-language-server` line; nil when the output has no
    /// place on disk (stdout), which gets a comment saying how to write the schema instead.
    public var schemaPath: String?
    /// Where the organization was read: the API URL, or "the sandbox".
    public var source: String
    /// `YYYY-MM-DD`.
    public var date: String

    public init(schemaPath: String?, source: String, date: String) {
        self.schemaPath = schemaPath
        self.source = source
        self.date = date
    }

    /// The manifest schema, written beside the imported manifests so that the modeline resolves in the user's
    /// repository, offline, and matches this binary's version. Not YAML, so the loader never reads it.
    public static let schemaFile = ImportedFile(name: DocumentSchema.manifest.fileName, contents: DocumentSchema.manifest.text)
}

/// One file that `cogramctl import` writes: a name relative to the output directory, and its text.
public struct ImportedFile: Sendable, Hashable {
    public var name: String
    public var contents: String

    public init(name: String, contents: String) {
        self.name = name
        self.contents = contents
    }
}

extension ImportedOrganization {
    /// The name of the per-project layout's file for users and ownership.
    public static let organizationFileName = "organization.yaml"

    /// Everything in one manifest.
    public func renderSingle(header: ImportHeader) -> String {
        var out = render(header, description: nil)
        out += "version: 1\n"
        out += organizationSection()
        out += ownershipSection()
        out += usersSection()
        out += groupsSection()
        out += "projects:"
        out += projects.isEmpty ? " []\n" : "\n" + projects.map(Self.render).joined()
        out += closingComment()
        return out
    }

    /// `organization.yaml` first, then one file per project, named after its external_id (see `fileNames`).
    public func renderFiles(header: ImportHeader) -> [ImportedFile] {
        var organization = render(header, description: "The organization: ownership and users. Each project has its own file beside this one.")
        organization += "version: 1\n" + organizationSection() + ownershipSection() + usersSection() + closingComment()
        var files = [ImportedFile(name: Self.organizationFileName, contents: organization)]
        if groups?.isEmpty == false {
            let text = render(header, description: "Groups that the projects in the files beside this one include.")
            files.append(ImportedFile(name: Self.groupsFileName, contents: text + "version: 1\n" + groupsSection()))
        }
        for (project, name) in zip(projects, fileNames()) {
            let text = render(header, description: nil) + "version: 1\nprojects:\n" + Self.render(project)
            files.append(ImportedFile(name: name, contents: text))
        }
        return files
    }

    /// File names of the per-project layout, in `projects` order: the external_id with every character other
    /// than ASCII letters, digits, `.`, `_` and `-` replaced by `_` (no leading `.`), made unique
    /// case-insensitively (for macOS and Windows file systems) with `-2`, `-3`, … and never `organization.yaml`
    /// (nor `groups.yaml` when there are groups).
    public func fileNames() -> [String] {
        var taken: Set<String> = [Self.organizationFileName]
        if groups?.isEmpty == false { taken.insert(Self.groupsFileName) }
        return projects.map { project in
            let name = ManifestFileName.unique(forExternalID: project.externalID) { taken.contains($0) }
            taken.insert(name.lowercased())
            return name
        }
    }

    /// `Imported 812 projects (3 archived, 5 adopted), 95 users; left out: 2 deactivated users.`
    public var summaryLine: String {
        var details: [String] = []
        if archivedCount > 0 { details.append("\(archivedCount) archived") }
        if adoptedCount > 0 { details.append("\(adoptedCount) adopted with a generated external_id") }
        let projectPart = count(projects.count, "project") + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
        let left = leftOutPhrases.map(\.short)
        let groupPart = groups.map { ", \(count($0.count, "group"))" } ?? ""
        return "Imported \(projectPart), \(count(users.count, "user"))\(groupPart); left out: "
            + (left.isEmpty ? "nothing" : left.joined(separator: ", ")) + "."
    }

    // MARK: - Pieces

    private func render(_ header: ImportHeader, description: String?) -> String {
        var out = ""
        if let path = header.schemaPath {
            out += "# yaml-language-server: $schema=\(path)\n"
        } else {
            out += "# Schema: `cogramctl schema manifest > \(ImportHeader.schemaFile.name)` writes it beside this file;\n"
            out += "# editors validate this file once it starts with `# yaml-language-server: $schema=\(ImportHeader.schemaFile.name)`.\n"
        }
        out += "#\n"
        out += "# Imported from \(header.source) on \(header.date) by `cogramctl import`.\n"
        if let description { out += "# \(description)\n" }
        return out
    }

    /// `organization:` with the name given and the anchor found; nothing without a name.
    private func organizationSection() -> String {
        guard let organizationName else { return "" }
        var out = "organization:\n  name: \(YAMLScalarWriter.render(organizationName))\n"
        if let anchor { out += "  anchor: \(YAMLScalarWriter.render(anchor))\n" }
        if let apiKeyEnv { out += "  api_key_env: \(apiKeyEnv)\n" }
        return out
    }

    private func ownershipSection() -> String {
        guard let prefix else { return "" }
        return "ownership:\n  external_id_prefix: \(YAMLScalarWriter.render(prefix))\n"
    }

    private func usersSection() -> String {
        guard !users.isEmpty else { return "users: []\n" }
        var out = "users:\n"
        for user in users {
            out += "  - email: \(YAMLScalarWriter.render(user.email))\n"
            out += "    role: \(user.role.rawValue)\n"
            if let externalID = user.externalID {
                out += "    external_id: \(YAMLScalarWriter.render(externalID))\n"
            }
        }
        return out
    }

    private static func render(_ project: ImportedProject) -> String {
        var out = "  - external_id: \(YAMLScalarWriter.render(project.externalID))\n"
        out += "    name: \(YAMLScalarWriter.render(project.name))\n"
        if let id = project.adoptID {
            out += "    id: \(YAMLScalarWriter.render(id))  # had no external_id in Cogram; the first apply sets the one above\n"
        }
        if let description = project.description {
            out += "    description: \(YAMLScalarWriter.render(description))\n"
        }
        if project.archived {
            out += "    archived: true\n"
        }
        if let members = project.members {
            if members.isEmpty {
                out += "    members: []\n"
            } else {
                out += "    members:\n" + memberEntries(project)
            }
        } else if project.hasNoMembers {
            out += "    # members not managed: none in Cogram (a members list here would make it managed)\n"
        } else if !project.unlistableMembers.isEmpty {
            let emails = project.unlistableMembers.map(YAMLScalarWriter.render).joined(separator: ", ")
            out += "    # members not managed: \(emails) \(project.unlistableMembers.count == 1 ? "is a member but not an active user" : "are members but not active users")\n"
            out += "    # (a manifest may not list them, and leaving them out would remove them)\n"
        }
        return out
    }

    private struct LeftOutPhrase {
        var short: String
        var long: String
    }

    private var leftOutPhrases: [LeftOutPhrase] {
        var phrases: [LeftOutPhrase] = []
        if leftOut.deactivatedUsers > 0 {
            let text = count(leftOut.deactivatedUsers, "deactivated user")
            phrases.append(LeftOutPhrase(short: text, long: text + " (a manifest may name active users only)"))
        }
        if leftOut.archivedWithoutExternalID > 0 {
            let text = count(leftOut.archivedWithoutExternalID, "archived project") + " without an external_id"
            phrases.append(LeftOutPhrase(short: text, long: text + " (nothing to name it by; apply leaves it alone)"))
        }
        if leftOut.unkeyed > 0 {
            let text = count(leftOut.unkeyed, "active project") + " without an external_id"
            phrases.append(LeftOutPhrase(short: text, long: text + " (--skip-unkeyed; apply leaves such projects alone)"))
        }
        if leftOut.outsidePrefix > 0, let prefix {
            let text = count(leftOut.outsidePrefix, "project") + " outside the prefix \(YAMLQuoting.doubleQuoted(prefix))"
            phrases.append(LeftOutPhrase(short: text, long: text + " (not managed by these manifests)"))
        }
        if !leftOut.unusableExternalIDs.isEmpty {
            let ids = leftOut.unusableExternalIDs.map(YAMLQuoting.doubleQuoted).joined(separator: ", ")
            let text = count(leftOut.unusableExternalIDs.count, "project") + " whose external_id a manifest cannot hold"
            phrases.append(LeftOutPhrase(
                short: text,
                long: text + " (white space, or longer than 128 characters): \(ids); plan would archive such projects, so change their external ids in Cogram first"))
        }
        return phrases
    }

    private func closingComment() -> String {
        var out = ""
        let phrases = leftOutPhrases
        if !phrases.isEmpty {
            out += "\n# Left out of this import:\n"
            for phrase in phrases { out += "# - \(phrase.long)\n" }
        }
        if leftOut.unmanagedMemberships > 0 {
            out += phrases.isEmpty ? "\n" : ""
            out += "# Members not managed on \(count(leftOut.unmanagedMemberships, "project")) with members who are not active users; see the comments there.\n"
        }
        return out
    }
}

private func count(_ n: Int, _ noun: String) -> String {
    "\(n) \(noun)\(n == 1 ? "" : "s")"
}
