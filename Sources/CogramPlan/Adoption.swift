import CogramAPI
import CogramManifest
import Foundation

/// What `cogramctl drift --adopt` does to the manifests: Cogram's values written where the manifests say
/// otherwise, checked by loading and planning the result again.
public struct AdoptionOutcome: Sendable {
    /// Loaded files that change, in load order.
    public var files: [FileEdit]
    /// Files to create (their `before` is empty).
    public var newFiles: [FileEdit]
    /// The differences written into the manifests.
    public var adopted: [DriftItem]
    /// The drift that the edited manifests still have: what cannot be adopted, with a note saying why.
    public var remaining: [DriftItem]
    /// The organization's root, when the manifests name one: the only place edits may be written.
    public var root: String?

    public var nothingToDo: Bool { files.isEmpty && newFiles.isEmpty }

    /// The diff of every changed and created file.
    public var diff: String {
        files.map(\.diff).joined()
            + newFiles.map { UnifiedDiff.make(old: [], new: $0.after, oldName: "/dev/null", newName: "b/\($0.path)") }.joined()
    }

    /// Creates the new files (exclusively) and replaces the changed ones (atomically, keeping their mode).
    public func write() throws(EditError) {
        try ManifestFileWriter.writeAll(replacing: files, creating: newFiles, root: root)
    }
}

/// Where `--adopt` may put what it writes.
public struct AdoptionSettings: Sendable, Hashable {
    /// `--adopt-into FILE`: where projects created in the app go.
    public var into: String?
    /// The path arguments. A new file goes only where loading these paths again finds it.
    public var paths: [String]

    public init(into: String? = nil, paths: [String]) {
        self.into = into
        self.paths = paths
    }
}

public enum Adoption {
    /// Enough for every kind: a project restored in the app makes its member list managed, whose differences
    /// the next pass adopts; a member list that would be emptied and refilled takes two.
    static let maxPasses = 4

    /// The edits that make `sources` describe `observed`, for every adoptable difference. Each pass edits, loads
    /// the result (which must load cleanly, policies included, or nothing is proposed) and plans it again, so
    /// that what is reported as adopted is what `plan` no longer shows.
    public static func prepare(
        sources: [SourceFile], observed: ObservedState, options: PlanOptions, settings: AdoptionSettings,
        limits: LoaderLimits = .default
    ) -> Result<AdoptionOutcome, EditFailure> {
        let today = CalendarDay(options.now)
        let loader = ManifestLoader(limits: limits, today: today)
        var full = options
        full.targets = nil
        let loaded = loader.load(sources: sources)
        guard var desired = loaded.desired, loaded.isValid else {
            return .failure(EditFailure(
                "the manifests do not load; fix these errors first", diagnostics: loaded.diagnostics.filter { $0.severity == .error }))
        }
        let root = desired.organization?.root
        let placement: ProjectPlacement
        switch ProjectPlacement.choose(sources: sources, desired: desired, settings: settings, limits: limits) {
        case .success(let chosen): placement = chosen
        case .failure(let failure): return .failure(failure)
        }

        var current = sources
        var classified = classifyDrift(desired: desired, observed: observed, plan: makePlan(desired: desired, observed: observed, options: full), today: today)
        var refused: [String: String] = [:]
        var attempted: [String: DriftItem] = [:]
        for _ in 0..<maxPasses {
            var pass = AdoptionPass(sources: current, desired: desired, observed: observed, placement: placement, today: today, limits: limits)
            for (change, items) in classified {
                pass.adopt(change, items: items.filter { $0.adoptable && refused[$0.key] == nil })
            }
            refused.merge(pass.refused) { first, _ in first }
            guard pass.hasEdits else { break }
            let edited: [SourceFile]
            do {
                edited = try pass.result()
            } catch {
                return .failure(EditFailure(error.message, diagnostics: [Diagnostic(.error, at: error.location, error.message)]))
            }
            for item in pass.attempted where attempted[item.key] == nil { attempted[item.key] = item }
            let reloaded = loader.load(sources: edited)
            guard let next = reloaded.desired, reloaded.isValid else {
                return .failure(EditFailure(
                    "refused: the edited manifests would not load cleanly; nothing was written",
                    diagnostics: reloaded.diagnostics.filter { $0.severity == .error }))
            }
            current = edited
            desired = next
            classified = classifyDrift(desired: desired, observed: observed, plan: makePlan(desired: desired, observed: observed, options: full), today: today)
        }

        let left = classified.flatMap(\.items).map { item -> DriftItem in
            guard let note = refused[item.key] else { return item }
            var item = item
            item.adoptable = false
            item.note = note
            return item
        }
        let leftKeys = Set(left.map(\.key))
        let originals = Dictionary(sources.map { ($0.path, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        var files: [FileEdit] = []
        var newFiles: [FileEdit] = []
        for source in current {
            if let before = originals[source.path] {
                if before != source.bytes { files.append(FileEdit(path: source.path, before: before, after: source.bytes)) }
            } else {
                newFiles.append(FileEdit(path: source.path, before: [], after: source.bytes))
            }
        }
        return .success(AdoptionOutcome(
            files: files, newFiles: newFiles,
            adopted: attempted.values.filter { !leftKeys.contains($0.key) }.sorted(by: driftOrder),
            remaining: left.sorted(by: driftOrder), root: root))
    }
}

func driftOrder(_ a: DriftItem, _ b: DriftItem) -> Bool {
    (a.address, a.field ?? "", a.kind.rawValue) < (b.address, b.field ?? "", b.kind.rawValue)
}

extension DriftItem {
    /// One difference, the same from one pass to the next.
    var key: String { "\(kind.rawValue) \(address) \(field ?? "")" }
}

// MARK: - Where projects created in the app go

enum ProjectPlacement: Sendable {
    /// Appended to a loaded file.
    case existing(String)
    /// All into one new file (`--adopt-into` a file that does not exist yet).
    case newFile(String)
    /// One new file each, named as `import` names them, in this directory ("" for the current one).
    case ownFiles(directory: String)

    static func choose(
        sources: [SourceFile], desired: DesiredState, settings: AdoptionSettings, limits: LoaderLimits
    ) -> Result<ProjectPlacement, EditFailure> {
        let loadedDirectories = settings.paths.filter(isDirectory).map(ManifestFileWriter.lexicalAbsolute)
        func loadedAgain(_ path: String) -> Bool {
            let absolute = ManifestFileWriter.lexicalAbsolute(path)
            return loadedDirectories.contains { absolute.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
        if let into = settings.into {
            let absolute = ManifestFileWriter.lexicalAbsolute(into)
            if let loaded = sources.first(where: { ManifestFileWriter.lexicalAbsolute($0.path) == absolute }) {
                return .success(.existing(loaded.path))
            }
            guard into.hasSuffix(".yaml") || into.hasSuffix(".yml") else {
                return .failure(EditFailure("--adopt-into \(into): a new manifest file must end in .yaml or .yml"))
            }
            if FileManager.default.fileExists(atPath: into) {
                return .failure(EditFailure("--adopt-into \(into): the file exists but was not loaded; cogramctl writes only the manifests it loaded (pass it as a path, or name a new file)"))
            }
            if let root = desired.organization?.root {
                let rootPath = ManifestFileWriter.lexicalAbsolute(root)
                guard absolute.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/") else {
                    return .failure(EditFailure("--adopt-into \(into): outside the organization's root \(root); name a file inside it"))
                }
            }
            guard loadedAgain(into) else {
                return .failure(EditFailure("--adopt-into \(into): not inside a directory given as a path, so the next plan would not load it; pass its directory, or name a loaded file"))
            }
            return .success(.newFile(into))
        }
        let projectFiles = sources.map { source -> Int in
            guard let editor = try? ManifestEditor(source: source, limits: limits) else { return 0 }
            return editor.count(at: [.key("projects")]) ?? 0
        }
        let fallback = ProjectPlacement.existing(sources.first?.path ?? "")
        guard projectFiles.allSatisfy({ $0 <= 1 }) else { return .success(fallback) }
        let beside = zip(sources, projectFiles).first { $0.1 == 1 }?.0.path
            ?? desired.organization?.location.file ?? sources.first?.path ?? ""
        let directory = (beside as NSString).deletingLastPathComponent
        guard loadedAgain((directory.isEmpty ? "." : directory) + "/x.yaml") else { return .success(fallback) }
        return .success(.ownFiles(directory: directory))
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}

// MARK: - One pass of edits

/// The edits of one pass, against the files as they are at its start. Every edit is tried on its own first, so
/// that one the editor refuses (an anchor, a flow-style list) leaves that difference listed with the reason
/// instead of stopping the rest.
struct AdoptionPass {
    private(set) var sources: [SourceFile]
    let desired: DesiredState
    let observed: ObservedState
    let placement: ProjectPlacement
    let today: CalendarDay
    let limits: LoaderLimits

    private var editors: [String: ManifestEditor] = [:]
    private var edits: [String: [ManifestEdit]] = [:]
    /// Which item each edit adopts, by file, in edit order (to hand back an item whose edit is deferred).
    private var editItems: [String: [DriftItem]] = [:]
    private var newProjects: [(externalID: String, value: EditValue)] = []
    private(set) var attempted: [DriftItem] = []
    private(set) var refused: [String: String] = [:]

    init(sources: [SourceFile], desired: DesiredState, observed: ObservedState, placement: ProjectPlacement, today: CalendarDay, limits: LoaderLimits) {
        self.sources = sources
        self.desired = desired
        self.observed = observed
        self.placement = placement
        self.today = today
        self.limits = limits
    }

    var hasEdits: Bool { edits.values.contains { !$0.isEmpty } || !newProjects.isEmpty }

    mutating func adopt(_ change: Change, items: [DriftItem]) {
        guard !items.isEmpty else { return }
        let project = change.target.projectExternalID.flatMap { id in desired.projects.first { $0.externalID == id } }
        for item in items {
            switch item.kind {
            case .projectUnlisted:
                adoptNewProject(change, item: item)
            case .projectField:
                guard let project else { refuse(item, "no manifest project to write it in"); continue }
                adoptField(item, project: project)
            case .memberAdded, .memberRemoved, .memberRole:
                guard let project else { refuse(item, "no manifest project to write it in"); continue }
                adoptMember(change, item: item, project: project)
            case .userRole:
                adoptUserRole(change, item: item)
            case .projectMissing:
                refuse(item, "--adopt never deletes a manifest project")
            }
        }
    }

    // MARK: Kinds

    private mutating func adoptField(_ item: DriftItem, project: DesiredProject) {
        let file = project.location.file
        guard let editor = editor(file, for: item), let path = projectPath(editor, externalID: project.externalID) else {
            return refuse(item, "cannot find the project's entry in \(file)")
        }
        switch item.field {
        case "name":
            guard let name = item.cogram else { return refuse(item, "Cogram has no name") }
            propose(.replaceScalar(path + [.key("name")], with: name), in: file, for: item)
        case "description":
            let at = path + [.key("description")]
            propose(item.cogram.map { .replaceScalar(at, with: $0) } ?? .replaceWithLiteral(at, .null), in: file, for: item)
        case "status":
            let archived = item.cogram == "archived"
            if editor.keys(at: path).contains("archived") {
                propose(.replaceWithLiteral(path + [.key("archived")], archived ? .true : .false), in: file, for: item)
            } else if archived {
                propose(.insertKey(in: path, after: "name", key: "archived", .literal(.true)), in: file, for: item)
            } else {
                refuse(item, "cannot find `archived:` in the project's entry")
            }
        default:
            refuse(item, "not a field --adopt writes")
        }
    }

    private mutating func adoptMember(_ change: Change, item: DriftItem, project: DesiredProject) {
        let email = change.target.email ?? change.address.email ?? ""
        let file = project.location.file
        guard let editor = editor(file, for: item), let path = projectPath(editor, externalID: project.externalID),
              editor.keys(at: path).contains("members")
        else { return refuse(item, "cannot find the project's member list in \(file)") }
        let members = path + [.key("members")]
        if item.kind == .memberAdded {
            guard let role = item.cogram.flatMap(ProjectRole.init(rawValue:)) else {
                return refuse(item, "Cogram's role \(item.cogram ?? "(none)") is not one a manifest can hold")
            }
            let written = change.target.projectID.flatMap { observed.members[$0] }?.first { normalizeEmail($0.email) == email }?.email ?? email
            let entry = EditValue.mapping([EditPair("email", .scalar(written)), EditPair("role", .scalar(role.rawValue))])
            return propose(.appendItem(to: members, entry), in: file, for: item)
        }
        let direct = (0..<(editor.count(at: members) ?? 0)).first { index in
            let entry = members + [.index(index)]
            return !editor.keys(at: entry).contains("group") && editor.scalar(at: entry + [.key("email")]).map(normalizeEmail) == email
        }
        guard let direct else { return refuse(item, "no direct entry for \(email) in the project's member list") }
        let entry = members + [.index(direct)]
        if item.kind == .memberRemoved {
            propose(.removeItem(entry), in: file, for: item)
        } else if let role = item.cogram.flatMap(ProjectRole.init(rawValue:)) {
            propose(.replaceScalar(entry + [.key("role")], with: role.rawValue), in: file, for: item)
        } else {
            refuse(item, "Cogram's role \(item.cogram ?? "(none)") is not one a manifest can hold")
        }
    }

    private mutating func adoptUserRole(_ change: Change, item: DriftItem) {
        let email = change.target.email ?? change.address.email ?? ""
        guard item.field == "role", let role = item.cogram.flatMap(OrganizationRole.init(rawValue:)) else {
            return refuse(item, "Cogram's role \(item.cogram ?? "(none)") is not one a manifest can hold")
        }
        guard let user = desired.users.first(where: { $0.normalizedEmail == email }) else {
            return refuse(item, "no `users:` entry for \(email)")
        }
        let file = user.location.file
        let users: YAMLPath = [.key("users")]
        guard let editor = editor(file, for: item),
              let index = (0..<(editor.count(at: users) ?? 0)).first(where: { editor.scalar(at: users + [.index($0), .key("email")]).map(normalizeEmail) == email })
        else { return refuse(item, "cannot find the `users:` entry for \(email) in \(file)") }
        let entry = users + [.index(index)]
        if editor.keys(at: entry).contains("role") {
            propose(.replaceScalar(entry + [.key("role")], with: role.rawValue), in: file, for: item)
        } else {
            propose(.insertKey(in: entry, after: "email", key: "role", .scalar(role.rawValue)), in: file, for: item)
        }
    }

    /// A managed project created in the app, written as `import` writes it: its members only when every one is an
    /// active user that no `offboarded:` entry names (a manifest may name active users only; leaving one out
    /// would remove them).
    private mutating func adoptNewProject(_ change: Change, item: DriftItem) {
        guard let id = change.target.projectID, let project = observed.projects.first(where: { $0.id == id }),
              let externalID = project.externalID
        else { return refuse(item, "cannot find the project in Cogram") }
        var pairs = [EditPair("external_id", .scalar(externalID)), EditPair("name", .scalar(project.name))]
        if let description = project.description { pairs.append(EditPair("description", .scalar(description))) }
        if let members = observed.members[id] {
            let active = Dictionary(
                observed.users.filter { $0.status == .known(.active) }.map { (normalizeEmail($0.email), $0) },
                uniquingKeysWith: { a, _ in a })
            let offboarded = Set(desired.offboarded.map(\.normalizedEmail))
            let entries = members.sorted { normalizeEmail($0.email) < normalizeEmail($1.email) }.compactMap { member -> EditValue? in
                let email = normalizeEmail(member.email)
                guard active[email] != nil, !offboarded.contains(email), case .known(let role) = member.role else { return nil }
                return .mapping([EditPair("email", .scalar(member.email)), EditPair("role", .scalar(role.rawValue))])
            }
            // No members at all stays unmanaged, as `import` leaves it: `members: []` would be a rule (and trip
            // `min_owners`), not a description.
            if !members.isEmpty, entries.count == members.count { pairs.append(EditPair("members", .sequence(entries))) }
        }
        newProjects.append((externalID, .mapping(pairs)))
        attempted.append(item)
    }

    // MARK: Finding and proposing

    private func projectPath(_ editor: ManifestEditor, externalID: String) -> YAMLPath? {
        let projects: YAMLPath = [.key("projects")]
        return (0..<(editor.count(at: projects) ?? 0))
            .first { editor.scalar(at: projects + [.index($0), .key("external_id")]) == externalID }
            .map { projects + [.index($0)] }
    }

    private mutating func editor(_ file: String, for item: DriftItem) -> ManifestEditor? {
        if let editor = editors[file] { return editor }
        guard let source = sources.first(where: { $0.path == file }) else {
            refuse(item, "\(file) was not loaded")
            return nil
        }
        do {
            let editor = try ManifestEditor(source: source, limits: limits)
            editors[file] = editor
            return editor
        } catch {
            refuse(item, error.description)
            return nil
        }
    }

    private mutating func propose(_ edit: ManifestEdit, in file: String, for item: DriftItem) {
        guard let editor = editors[file] else { return refuse(item, "\(file) was not loaded") }
        do {
            _ = try editor.applying([edit])
        } catch {
            return refuse(item, "cannot be written: \(error.description)")
        }
        edits[file, default: []].append(edit)
        editItems[file, default: []].append(item)
        attempted.append(item)
    }

    private mutating func refuse(_ item: DriftItem, _ note: String) {
        refused[item.key] = note
    }

    // MARK: Result

    /// The files with this pass's edits. A member list that would be emptied while entries are appended to it
    /// keeps its entries this pass (the editor writes `[]` for an emptied list): the next pass removes them.
    mutating func result() throws(EditError) -> [SourceFile] {
        var sources = self.sources
        for (file, fileEdits) in edits.sorted(by: { $0.key < $1.key }) {
            guard let editor = editors[file], let index = sources.firstIndex(where: { $0.path == file }) else { continue }
            var appendedTo = Set<YAMLPath>()
            var removalsFrom: [YAMLPath: Int] = [:]
            for edit in fileEdits {
                if case .appendItem(let list, _) = edit { appendedTo.insert(list) }
                if case .removeItem(let item) = edit { removalsFrom[Array(item.dropLast()), default: 0] += 1 }
            }
            let deferred = Set(removalsFrom.filter { appendedTo.contains($0.key) && editor.count(at: $0.key) == $0.value }.keys)
            var kept: [ManifestEdit] = []
            for (edit, item) in zip(fileEdits, editItems[file] ?? []) {
                if case .removeItem(let path) = edit, deferred.contains(Array(path.dropLast())) {
                    attempted.removeAll { $0.key == item.key }
                    continue
                }
                kept.append(edit)
            }
            var projectEdits: [ManifestEdit] = []
            if case .existing(let target) = placement, target == file, !newProjects.isEmpty {
                projectEdits = projectAppends(editor)
            }
            sources[index] = SourceFile(path: file, bytes: try editor.applying(kept + projectEdits))
        }
        guard !newProjects.isEmpty else { return sources }
        switch placement {
        case .existing(let target):
            if edits[target] == nil {
                guard let index = sources.firstIndex(where: { $0.path == target }) else {
                    throw EditError(at: nil, "\(target) was not loaded")
                }
                let editor = try ManifestEditor(source: sources[index], limits: limits)
                sources[index] = SourceFile(path: target, bytes: try editor.applying(projectAppends(editor)))
            }
        case .newFile(let path):
            try add(newProjects.map(\.value), to: path, in: &sources)
        case .ownFiles(let directory):
            for project in newProjects {
                let name = ManifestFileName.unique(forExternalID: project.externalID) { lowered in
                    let path = directory.isEmpty ? lowered : directory + "/" + lowered
                    return sources.contains { $0.path.lowercased() == path.lowercased() }
                        || (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory))?
                            .contains { $0.lowercased() == lowered } == true
                }
                try add([project.value], to: directory.isEmpty ? name : directory + "/" + name, in: &sources)
            }
        }
        return sources
    }

    private func projectAppends(_ editor: ManifestEditor) -> [ManifestEdit] {
        if editor.keys(at: []).contains("projects") {
            return newProjects.map { .appendItem(to: [.key("projects")], $0.value) }
        }
        return [.insertTopLevelKey("projects", .sequence(newProjects.map(\.value)))]
    }

    /// Appends to a file this run created already, else starts a new one.
    private func add(_ projects: [EditValue], to path: String, in sources: inout [SourceFile]) throws(EditError) {
        if let index = sources.firstIndex(where: { $0.path == path }) {
            let editor = try ManifestEditor(source: sources[index], limits: limits)
            sources[index] = SourceFile(path: path, bytes: try editor.applying(projects.map { .appendItem(to: [.key("projects")], $0) }))
            return
        }
        let header = "# Adopted from Cogram by `cogramctl drift --adopt` on \(today): created in the app.\nversion: 1\n"
        let editor = try ManifestEditor(source: SourceFile(path: path, bytes: Array(header.utf8)), limits: limits)
        sources.append(SourceFile(path: path, bytes: try editor.applying([.insertTopLevelKey("projects", .sequence(projects))])))
    }
}
