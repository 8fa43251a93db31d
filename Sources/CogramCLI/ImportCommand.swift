import ArgumentParser
import CogramAPI
import CogramImport
import CogramManifest
import CogramPlan
import Foundation

/// `cogramctl import`: write manifests that describe the organization as it is now.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write manifests that describe the organization as it is now.",
        discussion: """
            Reads Cogram with list requests only and changes nothing. Projects without an external_id are written \
            with an `id:` pin and a generated external_id, which the first apply sets (or left out with \
            --skip-unkeyed); everything else plans as no change. Projects without members are written without \
            `members`, so their membership stays unmanaged (--manage-empty-members writes `members: []`). With \
            --groups, memberships that several projects share are written once as groups. Exit status: 0 success, \
            1 error.
            """
    )

    @Option(help: ArgumentHelp("Write to this file (--layout single) or directory (--layout per-project) instead of stdout.", valueName: "path"))
    var out: String?

    @Option(help: ArgumentHelp("One file, or organization.yaml plus one file per project.", valueName: "single|per-project"))
    var layout: ImportLayout = .single

    @Option(help: ArgumentHelp("Manage only projects whose external_id starts with this (written as ownership.external_id_prefix); others are left out, and generated external ids start with it.", valueName: "prefix"))
    var prefix: String?

    @Flag(help: "Overwrite existing files.")
    var force = false

    @Flag(help: ArgumentHelp("Write `members: []` for projects without members. That makes their membership managed: a member added in the app later is removed by the next apply. By default such projects are written without `members`."))
    var manageEmptyMembers = false

    @Flag(help: ArgumentHelp("Leave out active projects without an external_id instead of writing them with `id:` and a generated external_id."))
    var skipUnkeyed = false

    @Flag(help: ArgumentHelp("Propose groups: memberships (email and role) that several projects share are written once under `groups:` (in groups.yaml with --layout per-project) and included with `- group: NAME`. Every project keeps exactly its members and roles."))
    var groups = false

    @OptionGroup var read: ReadOptions

    @Option(help: ArgumentHelp(
        "Write an 'organization:' section with this name and, as its anchor, the id of the active admin with the smallest id.",
        valueName: "name"))
    var organizationName: String?

    @Option(help: ArgumentHelp(
        "Bootstrap one more organization into this repository: its manifests and 'organization:' section go into this folder (--layout per-project), read with the key in its api_key_env. Refused when the folder is inside or around another organization root, or the organization has a root already.",
        valueName: "dir"))
    var orgRoot: String?

    @Option(help: ArgumentHelp("The variable written as 'api_key_env' (default with --org-root: COGRAM_API_KEY_ and the name in capitals).", valueName: "variable"))
    var apiKeyEnv: String?

    /// Where the files go: `--org-root` is `--out` with the per-project layout.
    private var destination: String? { orgRoot ?? out }
    private var keyVariable: String? { orgRoot == nil ? apiKeyEnv : apiKeyEnv ?? organizationName.map(ManifestLoader.suggestedKeyVariable) }

    @OptionGroup var sandbox: SandboxSelection
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let organizationName {
            if organizationName.allSatisfy(\.isWhitespace) || organizationName.count > OrganizationSection.maxNameLength
                || organizationName.contains(",")
                || organizationName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw ValidationError("--organization-name must be 1-\(OrganizationSection.maxNameLength) characters, without commas or control characters")
            }
        }
        if orgRoot != nil || apiKeyEnv != nil, organizationName == nil {
            throw ValidationError("--org-root and --api-key-env need --organization-name NAME: they write an 'organization:' section")
        }
        if orgRoot != nil, out != nil { throw ValidationError("--org-root DIR writes into DIR; leave out --out") }
        if let apiKeyEnv, !OrganizationSection.isValidKeyVariable(apiKeyEnv) {
            throw ValidationError("--api-key-env must be COGRAM_API_KEY or COGRAM_API_KEY_ followed by A-Z, 0-9 and _")
        }
        if layout == .perProject, destination == nil {
            throw ValidationError("--layout per-project writes several files; name a directory with --out DIR")
        }
        if let prefix {
            if prefix.isEmpty { throw ValidationError("--prefix must not be empty") }
            if prefix.contains(where: { $0.isWhitespace || $0.isNewline }) {
                throw ValidationError("--prefix must not contain white space: external ids cannot")
            }
            if prefix.count > 64 { throw ValidationError("--prefix may be at most 64 characters long") }
        }
    }

    func run() async throws {
        let root: NewOrganizationRoot?
        do {
            root = try orgRoot.map { try NewOrganizationRoot(directory: $0, name: organizationName ?? "", apiKeyEnv: keyVariable ?? "") }
        } catch { throw CLIError(wrapping: error) }
        for warning in root?.warnings ?? [] { Terminal.writeError(rendered: "warning: \(warning)\n") }
        let target = try checkedTarget()
        let progress = ImportProgress()
        let (observed, identity) = try await Backend.withClient(
            connection: connection, sandbox: sandbox, manifestPaths: [], keyVariable: root?.apiKeyEnv,
            requestsPerMinute: read.requestsPerMinute, parallelism: read.parallelism
        ) { client, identity in
            progress.start()
            let observed = try await readOrganization(
                client: client, prefix: prefix, skipUnkeyed: skipUnkeyed, parallelism: read.parallelism,
                progress: { progress.record($0) })
            return (observed, identity)
        }
        progress.finish()

        let organization = makeImport(
            observed: observed, prefix: prefix, manageEmptyMembers: manageEmptyMembers, skipUnkeyed: skipUnkeyed,
            proposeGroups: groups, organizationName: organizationName, apiKeyEnv: keyVariable)
        do { try root?.check(anchor: organization.anchor) } catch { throw CLIError(wrapping: error) }
        if organizationName == nil {
            Terminal.writeError(
                "hint: no 'organization:' section written; pass --organization-name NAME so that plans name the organization and check that the key reads it\n")
        }
        let source = identity.isSandbox ? "the sandbox" : identity.apiURL
        let date = Self.today()
        let files: [ImportedFile]
        switch target {
        case .stdout:
            files = [ImportedFile(name: "-", contents: organization.renderSingle(header: ImportHeader(schemaPath: nil, source: source, date: date)))]
        case .file(let url):
            let header = ImportHeader(schemaPath: ImportHeader.schemaFile.name, source: source, date: date)
            files = [ImportedFile(name: url.lastPathComponent, contents: organization.renderSingle(header: header))]
        case .directory:
            let header = ImportHeader(schemaPath: ImportHeader.schemaFile.name, source: source, date: date)
            files = organization.renderFiles(header: header)
        }
        let selfCheck = ManifestLoader().load(sources: files.map { SourceFile(path: $0.name, bytes: Array($0.contents.utf8)) })

        try write(files, to: target)
        Terminal.writeError("\(organization.summaryLine)\n")
        if !selfCheck.isValid {
            DiagnosticReporter.print(selfCheck.diagnostics, sources: selfCheck.sources, annotate: false)
            throw CLIError(
                "internal error: the imported manifests do not load cleanly (see above); please report this bug with the lines shown")
        }
        // Groups are the one way the written members could differ from the ones read.
        if let desired = selfCheck.desired {
            let mismatches = organization.membershipMismatches(in: desired)
            if !mismatches.isEmpty {
                throw CLIError(
                    "internal error: the imported manifests state other members than Cogram has for \(plural(mismatches.count, "project")) (\(mismatches.prefix(5).joined(separator: ", "))); please report this bug")
            }
        }
    }

    // MARK: - Output

    enum Target {
        case stdout
        case file(URL)
        case directory(URL)
    }

    /// Where the output goes, checked before anything is read so that a wrong path fails fast.
    private func checkedTarget() throws -> Target {
        guard let out = destination else { return .stdout }
        let url = URL(fileURLWithPath: out).standardizedFileURL
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        switch orgRoot == nil ? layout : .perProject {
        case .single:
            if exists, isDirectory.boolValue {
                throw CLIError("\(out) is a directory; name a file, or use --layout per-project to write one file per project there")
            }
            if exists, !force { throw CLIError("\(out) exists; remove it or pass --force to overwrite it") }
            return .file(url)
        case .perProject:
            if exists, !isDirectory.boolValue { throw CLIError("\(out) is a file; --layout per-project needs a directory") }
            return .directory(url)
        }
    }

    private func write(_ files: [ImportedFile], to target: Target) throws {
        switch target {
        case .stdout:
            Terminal.writeOutput(rendered: files[0].contents)
        case .file(let url):
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create the directory of \(destination ?? "."): \(error.localizedDescription)")
            }
            let schema = try schemaToWrite(into: url.deletingLastPathComponent())
            try writeFile(files[0].contents, to: url)
            if let schema { try writeFile(ImportHeader.schemaFile.contents, to: schema) }
        case .directory(let directory):
            let fm = FileManager.default
            let ours = Set(files.map(\.name))
            if !force {
                let existing = files.map(\.name).filter { fm.fileExists(atPath: directory.appendingPathComponent($0).path) }
                if !existing.isEmpty {
                    let shown = existing.prefix(5).joined(separator: ", ") + (existing.count > 5 ? ", …" : "")
                    throw CLIError(
                        "\(plural(existing.count, "file")) to write already exist in \(destination ?? "."): \(shown); remove them or pass --force to overwrite them")
                }
            }
            do {
                try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create \(destination ?? "."): \(error.localizedDescription)")
            }
            let schema = try schemaToWrite(into: directory)
            for file in files {
                try writeFile(file.contents, to: directory.appendingPathComponent(file.name))
            }
            if let schema { try writeFile(ImportHeader.schemaFile.contents, to: schema) }
            // Plan reads every manifest below the directory: stale files from an earlier import would count too.
            var others: [String] = []
            for case let relative as String in fm.enumerator(atPath: directory.path)?.allObjects ?? []
            where (relative.hasSuffix(".yaml") || relative.hasSuffix(".yml")) && !ours.contains(relative) {
                others.append(relative)
            }
            others.sort()
            if !others.isEmpty {
                let shown = others.prefix(5).joined(separator: ", ") + (others.count > 5 ? ", …" : "")
                Terminal.writeError(
                    "warning: \(destination ?? ".") also holds \(plural(others.count, "manifest")) that this import did not write (\(shown)); plan reads \(others.count == 1 ? "it" : "them") too\n")
            }
        }
    }

    /// Where to write the schema the modelines point at, or nil when the same text is already there. Another
    /// text there is replaced only with `--force`, like the manifests; checked before anything is written.
    private func schemaToWrite(into directory: URL) throws -> URL? {
        let schema = ImportHeader.schemaFile
        let url = directory.appendingPathComponent(schema.name)
        guard let existing = FileManager.default.contents(atPath: url.path) else { return url }
        if existing == Data(schema.contents.utf8) { return nil }
        if !force {
            throw CLIError(
                "\(Backend.relativePath(url.path)) exists with other content (another cogramctl version's schema?); remove it or pass --force to replace it with this version's")
        }
        return url
    }

    private func writeFile(_ text: String, to url: URL) throws {
        do {
            try writePrivateFile(Data(text.utf8), to: url)
        } catch {
            throw CLIError("cannot write \(Backend.relativePath(url.path)): \(error.localizedDescription)")
        }
    }

    // MARK: - Header pieces

    /// Today in UTC, `YYYY-MM-DD`.
    static func today() -> String {
        Instant(date: Date()).fullDate
    }
}

extension ImportLayout: ExpressibleByArgument {}

/// Reading progress in the status line (on a terminal only: import's output is the manifests, and a log needs no
/// count of member lists).
struct ImportProgress: Sendable {
    var status = StatusLine()

    func start() {
        status.show(ReadingProgress.firstLine, force: true)
    }

    func record(_ event: ImportReadProgress) {
        switch event {
        case .listed(let projects, let users, let lists):
            status.show("Read \(plural(projects, "project")) and \(plural(users, "user")); reading members: 0/\(lists) projects", force: true)
        case .members(let done, let total):
            status.show("Reading members: \(String(done).leftPadded(to: String(total).count))/\(total) projects", force: done == total)
        }
    }

    func finish() { status.clear() }
}
