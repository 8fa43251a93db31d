import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What loading produced: the merged desired state when there were no errors, every diagnostic, and the
/// sources read (for rendering diagnostics and for the plan's manifest digest).
public struct LoadResult: Sendable {
    public var desired: DesiredState?
    public var diagnostics: [Diagnostic]
    public var sources: [SourceFile]
    /// Hidden files and folders (a name starting with ".") that loading a directory passed over, as shown paths.
    public var skipped: [String] = []

    public var isValid: Bool { desired != nil && !diagnostics.hasErrors }
}

/// Loads manifests from files and directories: expands paths, reads, composes, decodes and validates across
/// files. Offline and deterministic.
public struct ManifestLoader: Sendable {
    public var limits: LoaderLimits
    /// The UTC day that `expires` is judged against: expired entries are warnings and count as absent for the
    /// offline policies. nil judges nothing as expired (every entry counts).
    public var today: CalendarDay?

    public init(limits: LoaderLimits = .default, today: CalendarDay? = nil) {
        self.limits = limits
        self.today = today
    }

    /// Loads `paths` as one organization: the manifests of one root, or of none. Manifests that hold several
    /// organization roots give an error that asks for one organization's folder (see `loadOrganizations`).
    public func load(paths: [String]) -> LoadResult {
        loadOrganizations(paths: paths).single
    }

    /// Loads sources already in memory (tests, fuzzing), merging them as files of one set.
    public func load(sources: [SourceFile], diagnostics earlier: [Diagnostic] = []) -> LoadResult {
        loadOrganizations(sources: sources, diagnostics: earlier).single
    }

    /// Loads `paths` once and splits what it read by organization root: one `DesiredState` per root, each
    /// checked on its own, ordered by organization name (one unnamed organization when no file has
    /// `organization:`).
    public func loadOrganizations(paths: [String]) -> OrganizationLoadResult {
        var diagnostics: [Diagnostic] = []
        var skipped: [String] = []
        var files = expand(paths, diagnostics: &diagnostics, skipped: &skipped)
        // A path below an organization's root loads the root's `organization:` file too.
        if !files.isEmpty {
            var known = Set(files.map(\.real))
            for file in OrganizationRoots.organizationFiles(above: paths) {
                guard let found = checked(file, root: OrganizationRoots.directory(of: file), diagnostics: &diagnostics),
                      known.insert(found.real).inserted else { continue }
                files.insert(found, at: 0)
            }
        }
        let sources = files.compactMap { read($0, diagnostics: &diagnostics) }
        if files.isEmpty, diagnostics.isEmpty {
            diagnostics.append(Diagnostic(.error, at: nil, "no manifest files (*.yaml, *.yml) found in \(paths.joined(separator: ", "))"))
        }
        var result = loadOrganizations(sources: sources, diagnostics: diagnostics)
        result.skipped = skipped
        return result
    }

    /// Loads sources already in memory as `loadOrganizations(paths:)` does.
    public func loadOrganizations(sources: [SourceFile], diagnostics earlier: [Diagnostic] = []) -> OrganizationLoadResult {
        var diagnostics = earlier
        var decoded: [DecodedFile] = []
        var spare = YAMLDocument()
        var emails = EmailTable()
        for source in sources {
            let (fragment, found) = Self.decode(source, limits: limits, spare: &spare, emails: &emails)
            diagnostics.append(contentsOf: found)
            decoded.append(DecodedFile(source: source, fragment: fragment))
        }
        var organizations: [LoadedOrganization] = []
        for part in Self.partition(decoded, diagnostics: &diagnostics) {
            let desired = Self.merge(part.fragments, files: part.sources.map(\.path), today: today, diagnostics: &diagnostics)
            organizations.append(LoadedOrganization(desired: desired, sources: part.sources))
        }
        let sorted = diagnostics.sortedByLocation()
        return OrganizationLoadResult(
            organizations: sorted.hasErrors ? [] : organizations.sorted { ($0.name ?? "") < ($1.name ?? "") },
            diagnostics: sorted, sources: sources)
    }

    /// Decodes one source in memory: the unit the loader, its tests and the fuzzer share.
    static func decode(_ source: SourceFile, limits: LoaderLimits) -> (ManifestFragment?, [Diagnostic]) {
        var spare = YAMLDocument()
        var emails = EmailTable()
        return decode(source, limits: limits, spare: &spare, emails: &emails)
    }

    /// Decodes one source, composing it into the arrays of `spare`, which are free for the next file once this
    /// returns; `emails` holds the emails met so far, for the next file too.
    static func decode(
        _ source: SourceFile, limits: LoaderLimits, spare: inout YAMLDocument, emails: inout EmailTable
    ) -> (ManifestFragment?, [Diagnostic]) {
        let (composed, composeDiagnostics) = YAMLComposer.compose(source, limits: limits, into: &spare)
        guard composed else { return (nil, composeDiagnostics) }
        // The decoder shares the arrays until it is gone, at the return; then `spare` is their only owner again.
        // The email table is swapped in and out, never shared, so it is not copied when it grows.
        var decoder = ManifestDecoder(file: source.path, document: spare)
        swap(&decoder.emails, &emails)
        defer { swap(&decoder.emails, &emails) }
        var fragment = decoder.decode()
        fragment.organization?.root = OrganizationRoots.directory(of: source.path)
        return (fragment, composeDiagnostics + decoder.diagnostics)
    }

    // MARK: - Files

    /// A manifest file to read: the path as shown in diagnostics, and its resolved path inside the root.
    struct FileToRead {
        var shown: String
        var real: String
    }

    /// Expands the path arguments into files. Every file must resolve to a regular file inside its root (the
    /// directory argument, or a file argument's folder): a symbolic link that leads out of the root, a FIFO, a
    /// device or a socket is refused from `stat` alone, before anything is opened, so that a link cannot make the
    /// loader print another file's text and a FIFO cannot make it wait forever. Below a directory argument,
    /// hidden files and folders (`.git`, `.github`, `.cogram`, any `.name`) are passed over and listed in `skipped`.
    private func expand(_ paths: [String], diagnostics: inout [Diagnostic], skipped: inout [String]) -> [FileToRead] {
        var files: [FileToRead] = []
        let fm = FileManager.default
        for path in paths {
            guard let info = FileInfo.status(path) else {
                diagnostics.append(Diagnostic(.error, at: nil, "\(path): no such file or directory"))
                continue
            }
            guard info.kind == .directory else {
                let folder = (path as NSString).deletingLastPathComponent
                if let file = checked(path, root: folder.isEmpty ? "." : folder, diagnostics: &diagnostics) {
                    files.append(file)
                }
                continue
            }
            guard let enumerator = fm.enumerator(atPath: path) else {
                diagnostics.append(Diagnostic(.error, at: nil, "\(path): cannot list the directory"))
                continue
            }
            var found: [FileToRead] = []
            var refused = false
            while let relative = enumerator.nextObject() as? String {
                // "." + "a.yaml" is shown as "a.yaml", as users wrote it.
                let full = path == "." || path == "./" ? relative : (path as NSString).appendingPathComponent(relative)
                if (relative as NSString).lastPathComponent.hasPrefix(".") {
                    skipped.append(full)
                    enumerator.skipDescendants()
                    continue
                }
                guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
                // A folder named like a manifest is walked, not read.
                if FileInfo.linkStatus(full)?.kind == .directory { continue }
                if let file = checked(full, root: path, diagnostics: &diagnostics) {
                    found.append(file)
                } else {
                    refused = true
                }
            }
            if found.isEmpty, !refused {
                diagnostics.append(Diagnostic(.error, at: nil, "\(path): the directory holds no *.yaml or *.yml files"))
            }
            files.append(contentsOf: found.sorted { $0.shown < $1.shown })
        }
        var seen = Set<String>()
        return files.filter { seen.insert($0.real).inserted }
    }

    /// `path` as a file to read when it resolves to a regular file inside `root`; otherwise a diagnostic.
    private func checked(_ path: String, root: String, diagnostics: inout [Diagnostic]) -> FileToRead? {
        guard let realRoot = FileInfo.realPath(root), let real = FileInfo.realPath(path) else {
            diagnostics.append(Diagnostic(.error, at: nil, "\(path): no such file or directory (or a link to nothing)"))
            return nil
        }
        guard real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            diagnostics.append(Diagnostic(.error, at: nil,
                "\(path): a symbolic link that leads outside \(root); it was not followed (manifests must be files inside the path given)"))
            return nil
        }
        guard let info = FileInfo.status(real) else {
            diagnostics.append(Diagnostic(.error, at: nil, "\(path): no such file or directory"))
            return nil
        }
        guard info.kind == .regular else {
            diagnostics.append(Diagnostic(.error, at: nil,
                "\(path): is \(info.kind.described), not a regular file; manifests must be regular files (it was not opened)"))
            return nil
        }
        return FileToRead(shown: path, real: real)
    }

    private func read(_ file: FileToRead, diagnostics: inout [Diagnostic]) -> SourceFile? {
        let path = file.shown
        // O_NOFOLLOW and O_NONBLOCK: if the checked file was swapped for a link or a FIFO since, opening fails or
        // returns at once instead of following it or waiting; `fstat` then checks what was opened.
        let descriptor = open(file.real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            diagnostics.append(Diagnostic(.error, at: nil, "\(path): cannot open the file for reading"))
            return nil
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        guard let info = FileInfo.openStatus(descriptor), info.kind == .regular else {
            diagnostics.append(Diagnostic(.error, at: nil, "\(path): not a regular file; manifests must be regular files"))
            return nil
        }
        if info.size > limits.maxFileBytes {
            diagnostics.append(.fileTooLarge(path, bytes: info.size, limit: limits.maxFileBytes))
            return nil
        }
        // Read at most one byte past the limit, so that a file growing under us is still bounded.
        guard let data = try? handle.read(upToCount: limits.maxFileBytes + 1) ?? Data() else {
            diagnostics.append(Diagnostic(.error, at: nil, "\(path): cannot read the file"))
            return nil
        }
        if data.count > limits.maxFileBytes {
            diagnostics.append(.fileTooLarge(path, bytes: nil, limit: limits.maxFileBytes))
            return nil
        }
        return SourceFile(path: path, bytes: [UInt8](data))
    }

    // MARK: - Across files

    /// A section that may appear in one file only: the first one counts, a second is an error naming both.
    private static func setOnce<Section>(
        _ section: Section?, into slot: inout Section?, key: String, at location: KeyPath<Section, SourceLocation>,
        _ diagnostics: inout [Diagnostic]
    ) {
        guard let section else { return }
        if let first = slot {
            diagnostics.append(Diagnostic(.error, at: section[keyPath: location],
                "'\(key)' may appear in one file only; it is already set at \(first[keyPath: location])"))
        } else {
            slot = section
        }
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }

    static func merge(
        _ fragments: [ManifestFragment], files: [String], today: CalendarDay? = nil, diagnostics: inout [Diagnostic]
    ) -> DesiredState {
        var desired = DesiredState(files: files)
        // Each file's projects stay in their file's array: appending them to one array would copy (and later
        // release) every field of every project.
        var entryLists: [[ProjectEntry]] = []
        entryLists.reserveCapacity(fragments.count)
        for fragment in fragments {
            // Files are split by root before they are merged: a second section here is in the same folder.
            if let organization = fragment.organization {
                if let first = desired.organization {
                    diagnostics.append(Diagnostic(.error, at: organization.location,
                        "'organization' may appear in one file of a root only; it is already set at \(first.location)"))
                } else {
                    desired.organization = organization
                }
            }
            if let at = fragment.offboardedLocation {
                if let first = desired.offboardedLocation {
                    diagnostics.append(Diagnostic(.error, at: at, "'offboarded' may appear in one file only; it is already set at \(first)"))
                } else {
                    desired.offboardedLocation = at
                    desired.offboarded = fragment.offboarded
                }
            }
            setOnce(fragment.ownership, into: &desired.ownership, key: "ownership", at: \.location, &diagnostics)
            setOnce(fragment.policies, into: &desired.policies, key: "policies", at: \.location, &diagnostics)
            desired.users.append(contentsOf: fragment.users)
            desired.groups.append(contentsOf: fragment.groups)
            entryLists.append(fragment.projects)
        }
        // The checks of keys see every project, expanded already: one array of projects is built, not two.
        // Diagnostics are sorted by location at the end, so the order of the checks does not show.
        desired.projects = GroupExpansion.expand(entryLists.joined(), groups: &desired.groups, diagnostics: &diagnostics)
        checkUniqueness(&desired, diagnostics: &diagnostics)
        checkOwnership(desired, diagnostics: &diagnostics)
        // Projects with errors of their own took part in the checks of keys and of group names only.
        if !entryLists.allSatisfy({ list in list.indices.allSatisfy { list[$0].isComplete } }) {
            let complete = entryLists.flatMap { list in list.indices.map { list[$0].isComplete } }
            desired.projects = complete.indices.filter { complete[$0] }.map { desired.projects[$0] }
        }
        checkOffboarded(desired, diagnostics: &diagnostics)
        if let today {
            let evaluation = desired.evaluated(asOf: today, warningWindow: 0)
            for entry in evaluation.expired {
                let what = entry.email.map { "'\($0)'" } ?? "group '\(entry.group ?? "")'"
                let effect = entry.kind == .user
                    ? "the role is now \(entry.then?.rawValue ?? "unset")"
                    : "it no longer counts"
                diagnostics.append(Diagnostic(.warning, at: entry.location,
                    "the entry for \(what) expired on \(entry.expires) (\(effect)); remove it from the manifest"))
            }
            PolicyCheck.check(evaluation.state, diagnostics: &diagnostics)
        } else {
            PolicyCheck.check(desired, diagnostics: &diagnostics)
        }
        return desired
    }

    private static func checkUniqueness(_ desired: inout DesiredState, diagnostics: inout [Diagnostic]) {
        // Fields are read in place (a loop over `desired`'s arrays would copy every user and project), and the
        // users are filtered only when one is a duplicate.
        var users: [String: SourceLocation] = [:]
        let allUsers = desired.users
        users.reserveCapacity(allUsers.count)
        var duplicateUsers: Set<Int> = []
        for index in allUsers.indices {
            let normalized = allUsers[index].normalizedEmail
            if let first = users[normalized] {
                diagnostics.append(Diagnostic(.error, at: allUsers[index].location,
                    "duplicate user '\(allUsers[index].email)'; first listed at \(first)"))
                duplicateUsers.insert(index)
                continue
            }
            users[normalized] = allUsers[index].location
        }
        if !duplicateUsers.isEmpty {
            desired.users = allUsers.indices.filter { !duplicateUsers.contains($0) }.map { allUsers[$0] }
        }
        // External ids and previous external ids share one namespace: each names one Cogram project.
        var keys: [String: (SourceLocation, String)] = [:]
        keys.reserveCapacity(desired.projects.count)
        var ids: [String: SourceLocation] = [:]
        let projects = desired.projects
        for index in projects.indices {
            if let (first, kind) = keys[projects[index].externalID] {
                diagnostics.append(Diagnostic(.error, at: projects[index].location,
                    "duplicate project external_id '\(projects[index].externalID)'; already used as \(kind) at \(first)"))
            } else {
                keys[projects[index].externalID] = (projects[index].location, "external_id")
            }
            for previous in projects[index].previousExternalIDs {
                if let (first, kind) = keys[previous] {
                    diagnostics.append(Diagnostic(.error, at: projects[index].location,
                        "previous external_id '\(previous)' of '\(projects[index].externalID)' is already used as \(kind) at \(first)"))
                } else {
                    keys[previous] = (projects[index].location, "a previous external_id")
                }
            }
            if let id = projects[index].id {
                if let first = ids[id] {
                    diagnostics.append(Diagnostic(.error, at: projects[index].location, "project id '\(id)' is adopted twice; first at \(first)"))
                } else {
                    ids[id] = projects[index].location
                }
            }
        }
    }

    /// An offboarded person must not also be granted anything: as a project member, a group member or a user.
    private static func checkOffboarded(_ desired: DesiredState, diagnostics: inout [Diagnostic]) {
        guard !desired.offboarded.isEmpty else { return }
        var offboarded: [String: SourceLocation] = [:]
        for person in desired.offboarded { offboarded[person.normalizedEmail] = person.location }
        func conflict(_ email: String, at location: SourceLocation, as what: String) {
            guard let listed = offboarded[normalizeEmail(email)] else { return }
            diagnostics.append(Diagnostic(.error, at: listed,
                "'\(email)' is offboarded here but also listed as \(what) at \(location); remove one of the two (cogramctl offboard removes the entries)"))
        }
        for user in desired.users { conflict(user.email, at: user.location, as: "a user") }
        for group in desired.groups {
            for member in group.members { conflict(member.email, at: member.location, as: "a member of group '\(group.name)'") }
        }
        for project in desired.projects {
            project.forEachMemberEntry { entry in
                if case .direct(let member) = entry {
                    conflict(member.email, at: member.location, as: "a member of project '\(project.externalID)'")
                }
            }
        }
    }

    private static func checkOwnership(_ desired: DesiredState, diagnostics: inout [Diagnostic]) {
        guard let prefix = desired.externalIDPrefix else { return }
        for project in desired.projects {
            if !OwnershipRule.manages(externalID: project.externalID, prefix: prefix) {
                diagnostics.append(Diagnostic(.error, at: project.location,
                    "external_id '\(project.externalID)' does not start with the ownership prefix '\(prefix)'"))
            }
            for previous in project.previousExternalIDs where !OwnershipRule.manages(externalID: previous, prefix: prefix) {
                diagnostics.append(Diagnostic(.error, at: project.location,
                    "previous external_id '\(previous)' does not start with the ownership prefix '\(prefix)'; adopt projects outside the prefix with 'id:'"))
            }
        }
    }
}

/// What `stat` says about a path, without opening it.
struct FileInfo {
    enum Kind: Equatable {
        case regular, directory, symbolicLink, fifo, characterDevice, blockDevice, socket, unknown

        var described: String {
            switch self {
            case .regular: "a regular file"
            case .directory: "a directory"
            case .symbolicLink: "a symbolic link"
            case .fifo: "a FIFO (named pipe)"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .socket: "a socket"
            case .unknown: "a special file"
            }
        }
    }

    var kind: Kind
    var size: Int

    init(_ status: stat) {
        size = Int(status.st_size)
        switch status.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFSOCK: kind = .socket
        default: kind = .unknown
        }
    }

    /// Follows links.
    static func status(_ path: String) -> FileInfo? {
        var status = stat()
        return stat(path, &status) == 0 ? FileInfo(status) : nil
    }

    /// Does not follow a link in the last component.
    static func linkStatus(_ path: String) -> FileInfo? {
        var status = stat()
        return lstat(path, &status) == 0 ? FileInfo(status) : nil
    }

    static func openStatus(_ descriptor: Int32) -> FileInfo? {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? FileInfo(status) : nil
    }

    /// The absolute path with every link resolved, or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension Diagnostic {
    /// A file over a size limit, refused as a whole at its first line; `bytes` is nil when all that is known is
    /// that it passed the limit (a file that grew while it was read).
    static func fileTooLarge(_ file: String, bytes: Int?, limit: Int) -> Diagnostic {
        let at = SourceLocation(file: file, line: 1, column: 1)
        guard let bytes else { return Diagnostic(.error, at: at, "the file is larger than \(limit) bytes; split it into several files") }
        return Diagnostic(.error, at: at, "the file is \(bytes) bytes; manifests may be at most \(limit) bytes (split it into several files)")
    }
}
