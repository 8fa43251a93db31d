/// One file an edit changes: its bytes before and after.
public struct FileEdit: Sendable, Hashable {
    public var path: String
    public var before: [UInt8]
    public var after: [UInt8]

    public init(path: String, before: [UInt8], after: [UInt8]) {
        self.path = path
        self.before = before
        self.after = after
    }

    /// The unified diff of this file (`a/PATH`, `b/PATH`).
    public var diff: String { UnifiedDiff.make(old: before, new: after, oldName: "a/\(path)", newName: "b/\(path)") }
}

/// Why an edit of manifests was refused: a message and the diagnostics behind it (which may be empty).
public struct EditFailure: Error, Sendable {
    public var message: String
    public var diagnostics: [Diagnostic]

    public init(_ message: String, diagnostics: [Diagnostic] = []) {
        self.message = message
        self.diagnostics = diagnostics
    }
}

/// What `cogramctl offboard` does to the manifests: every member entry of each person (projects and groups) and
/// their `users:` entry removed, and an `offboarded:` entry added with `date:`.
public struct OffboardOutcome: Sendable {
    /// The files that change, in load order.
    public var files: [FileEdit]
    /// The people added to `offboarded:`.
    public var offboarded: [String]
    /// The people already in `offboarded:` (nothing to do for them).
    public var alreadyOffboarded: [String]
    /// Where each removed entry was.
    public var removedEntries: [SourceLocation]
    /// The root of the organization, when the manifests name one: the only place edits may be written.
    public var root: String?

    public var nothingToDo: Bool { files.isEmpty }

    /// The diff of every changed file.
    public var diff: String { files.map(\.diff).joined() }

    /// Writes every changed file (atomically, keeping its mode, never through a symlink).
    public func write() throws(EditError) {
        try ManifestFileWriter.writeAll(replacing: files, root: root)
    }
}

public enum Offboarding {
    /// The edits that offboard `emails`, checked: the edited manifests must load cleanly (policies included, judged
    /// as of `today`) or nothing is proposed. `sources` are the files as loaded (in load order).
    public static func prepare(
        sources: [SourceFile], emails: [String], today: CalendarDay, limits: LoaderLimits = .default
    ) -> Result<OffboardOutcome, EditFailure> {
        prepare(loaded: ManifestLoader(limits: limits, today: today).load(sources: sources), emails: emails, today: today, limits: limits)
    }

    /// `prepare(sources:…)` for manifests the caller has just loaded with the same `today` and `limits`: they
    /// are not loaded a second time (figure 11 loads 2,000 files; the edited set is loaded again either way).
    public static func prepare(
        loaded before: LoadResult, emails: [String], today: CalendarDay, limits: LoaderLimits = .default
    ) -> Result<OffboardOutcome, EditFailure> {
        let loader = ManifestLoader(limits: limits, today: today)
        let sources = before.sources
        guard let desired = before.desired, before.isValid else {
            return .failure(EditFailure("the manifests do not load; fix these errors first", diagnostics: before.diagnostics.filter { $0.severity == .error }))
        }
        var seen = Set<String>()
        let wanted = emails.filter { seen.insert(normalizeEmail($0)).inserted }
        let listed = Set(desired.offboarded.map(\.normalizedEmail))
        let already = wanted.filter { listed.contains(normalizeEmail($0)) }
        let people = wanted.filter { !listed.contains(normalizeEmail($0)) }
        guard !people.isEmpty else {
            return .success(OffboardOutcome(files: [], offboarded: [], alreadyOffboarded: already, removedEntries: [], root: desired.organization?.root))
        }
        let targets = Set(people.map(normalizeEmail))
        let entryFile = desired.offboardedLocation?.file ?? desired.organization?.location.file ?? sources.first?.path
        var files: [FileEdit] = []
        var removed: [SourceLocation] = []
        var edited = sources
        for (index, source) in sources.enumerated() {
            let editor: ManifestEditor
            do {
                editor = try ManifestEditor(source: source, limits: limits)
            } catch {
                return .failure(EditFailure(error.message, diagnostics: [Diagnostic(.error, at: error.location, error.message)]))
            }
            var edits: [ManifestEdit] = []
            for path in entryPaths(in: editor, matching: targets) {
                edits.append(.removeItem(path))
                if let at = editor.location(at: path) { removed.append(at) }
            }
            if source.path == entryFile {
                let entries = people.map { email in
                    EditValue.mapping([EditPair("email", .scalar(email)), EditPair("date", .scalar(today.description))])
                }
                if editor.keys(at: []).contains("offboarded") {
                    edits += entries.map { .appendItem(to: [.key("offboarded")], $0) }
                } else {
                    edits.append(.insertTopLevelKey("offboarded", .sequence(entries)))
                }
            }
            guard !edits.isEmpty else { continue }
            do {
                let after = try editor.applying(edits)
                edited[index] = SourceFile(path: source.path, bytes: after)
                files.append(FileEdit(path: source.path, before: source.bytes, after: after))
            } catch {
                return .failure(EditFailure(error.message, diagnostics: [Diagnostic(.error, at: error.location, error.message)]))
            }
        }
        let after = loader.load(sources: edited)
        guard after.isValid else {
            return .failure(EditFailure(
                "refused: the edited manifests would not load cleanly; nothing was written",
                diagnostics: after.diagnostics.filter { $0.severity == .error }))
        }
        return .success(OffboardOutcome(
            files: files, offboarded: people, alreadyOffboarded: already, removedEntries: removed.sorted(), root: desired.organization?.root))
    }

    /// The paths of every entry naming one of `emails`: project members, group members and users.
    static func entryPaths(in editor: ManifestEditor, matching emails: Set<String>) -> [YAMLPath] {
        var paths: [YAMLPath] = []
        func matches(_ path: YAMLPath) -> Bool {
            editor.scalar(at: path + [.key("email")]).map { emails.contains(normalizeEmail($0)) } ?? false
        }
        func members(of list: YAMLPath) {
            for index in 0..<(editor.count(at: list) ?? 0) where matches(list + [.index(index)]) {
                paths.append(list + [.index(index)])
            }
        }
        let top = editor.keys(at: [])
        for section in ["projects", "groups"] where top.contains(section) {
            let list: YAMLPath = [.key(section)]
            for index in 0..<(editor.count(at: list) ?? 0) where editor.keys(at: list + [.index(index)]).contains("members") {
                members(of: list + [.index(index), .key("members")])
            }
        }
        if top.contains("users") { members(of: [.key("users")]) }
        return paths
    }
}

/// The offline email check the loader applies, for command-line arguments.
public enum ManifestEmail {
    public static func isPlausible(_ email: String) -> Bool { ManifestDecoder.isPlausibleEmail(email) }
}

/// One organization's part of an offboarding over several roots.
public struct OrganizationOffboarding: Sendable {
    /// The organization's name (from its `organization:` section).
    public var name: String
    public var outcome: OffboardOutcome
}

extension Offboarding {
    /// Offboards `emails` in each organization of `loaded` (its roots, cli.md "Several organizations"): each root
    /// is edited on its own, with its own `offboarded:` entry, and must load cleanly afterwards. One organization's
    /// refusal refuses all of them, so that nothing is written anywhere (the failure names the organization).
    public static func prepare(
        organizations: [LoadedOrganization], of loaded: OrganizationLoadResult, emails: [String], today: CalendarDay,
        limits: LoaderLimits = .default
    ) -> Result<[OrganizationOffboarding], EditFailure> {
        var done: [OrganizationOffboarding] = []
        for organization in organizations {
            let name = organization.name ?? "unnamed"
            switch prepare(loaded: loaded.result(of: organization), emails: emails, today: today, limits: limits) {
            case .failure(let failure):
                return .failure(EditFailure("in organization '\(name)': \(failure.message)", diagnostics: failure.diagnostics))
            case .success(let outcome):
                done.append(OrganizationOffboarding(name: name, outcome: outcome))
            }
        }
        return .success(done)
    }
}
