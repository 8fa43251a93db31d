import Foundation

/// What loading produced: the merged desired state when there were no errors, every diagnostic, and the
/// sources read (for rendering diagnostics and for the plan's manifest digest).
public struct LoadResult: Sendable {
    public var desired: DesiredState?
    public var diagnostics: [Diagnostic]
    public var sources: [SourceFile]

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

    public func load(paths: [String]) -> LoadResult {
        var diagnostics: [Diagnostic] = []
        var files = expand(paths, diagnostics: &diagnostics)
        // A path below an organization's root loads the root's `organization:` file too.
        if !files.isEmpty {
            var known = Set(files.map { Self.absolute($0) })
            for file in OrganizationRoots.organizationFiles(above: paths) where known.insert(Self.absolute(file)).inserted {
                files.insert(file, at: 0)
            }
        }
        let sources = files.compactMap { read($0, diagnostics: &diagnostics) }
        if files.isEmpty, diagnostics.isEmpty {
            diagnostics.append(Diagnostic(.error, at: nil, "no manifest files (*.yaml, *.yml) found in \(paths.joined(separator: ", "))"))
        }
        return load(sources: sources, diagnostics: diagnostics)
    }

    /// Loads sources already in memory (tests, fuzzing), merging them as files of one set.
    public func load(sources: [SourceFile], diagnostics earlier: [Diagnostic] = []) -> LoadResult {
        var diagnostics = earlier
        var fragments: [ManifestFragment] = []
        for source in sources {
            let (fragment, found) = Self.decode(source, limits: limits)
            diagnostics.append(contentsOf: found)
            if let fragment { fragments.append(fragment) }
        }
        let desired = Self.merge(fragments, files: sources.map(\.path), today: today, diagnostics: &diagnostics)
        let sorted = diagnostics.sortedByLocation()
        return LoadResult(desired: sorted.hasErrors ? nil : desired, diagnostics: sorted, sources: sources)
    }

    /// Decodes one source in memory: the unit the loader, its tests and the fuzzer share.
    static func decode(_ source: SourceFile, limits: LoaderLimits) -> (ManifestFragment?, [Diagnostic]) {
        let (document, composeDiagnostics) = YAMLComposer.compose(source, limits: limits)
        guard let document else { return (nil, composeDiagnostics) }
        var decoder = ManifestDecoder(file: source.path, document: document)
        var fragment = decoder.decode()
        fragment.organization?.root = OrganizationRoots.directory(of: source.path)
        return (fragment, composeDiagnostics + decoder.diagnostics)
    }

    // MARK: - Files

    private func expand(_ paths: [String], diagnostics: inout [Diagnostic]) -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(Diagnostic(.error, at: nil, "\(path): no such file or directory"))
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            guard let enumerator = fm.enumerator(atPath: path) else {
                diagnostics.append(Diagnostic(.error, at: nil, "\(path): cannot list the directory"))
                continue
            }
            var found: [String] = []
            for case let relative as String in enumerator where relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") {
                // "." + "a.yaml" is shown as "a.yaml", as users wrote it.
                let full = path == "." || path == "./" ? relative : (path as NSString).appendingPathComponent(relative)
                var childIsDirectory: ObjCBool = false
                if fm.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
                    found.append(full)
                }
            }
            if found.isEmpty {
                diagnostics.append(Diagnostic(.error, at: nil, "\(path): the directory holds no *.yaml or *.yml files"))
            }
            files.append(contentsOf: found.sorted())
        }
        var seen = Set<String>()
        return files.filter { seen.insert(($0 as NSString).standardizingPath).inserted }
    }

    private func read(_ path: String, diagnostics: inout [Diagnostic]) -> SourceFile? {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > limits.maxFileBytes {
            diagnostics.append(Diagnostic(.error, at: SourceLocation(file: path, line: 1, column: 1),
                "the file is \(size) bytes; manifests may be at most \(limits.maxFileBytes) bytes (split it into several files)"))
            return nil
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            diagnostics.append(Diagnostic(.error, at: nil, "\(path): cannot open the file for reading"))
            return nil
        }
        defer { try? handle.close() }
        // Read at most one byte past the limit, so that a file growing under us is still bounded.
        guard let data = try? handle.read(upToCount: limits.maxFileBytes + 1) ?? Data() else {
            diagnostics.append(Diagnostic(.error, at: nil, "\(path): cannot read the file"))
            return nil
        }
        if data.count > limits.maxFileBytes {
            diagnostics.append(Diagnostic(.error, at: SourceLocation(file: path, line: 1, column: 1),
                "the file is larger than \(limits.maxFileBytes) bytes; split it into several files"))
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
        var entries: [ProjectEntry] = []
        for fragment in fragments {
            if let organization = fragment.organization {
                if let first = desired.organization {
                    let sameRoot = absolute(first.root) == absolute(organization.root)
                    diagnostics.append(Diagnostic(.error, at: organization.location, sameRoot
                        ? "'organization' may appear in one file of a root only; it is already set at \(first.location)"
                        : "several organizations (this one and '\(first.name)' at \(first.location)) in one load are not supported yet; validate each organization's folder on its own"))
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
            entries.append(contentsOf: fragment.projects)
        }
        desired.projects = entries.map(\.project)
        checkUniqueness(&desired, diagnostics: &diagnostics)
        checkOwnership(desired, diagnostics: &diagnostics)
        let expanded = GroupExpansion.expand(entries, groups: &desired.groups, diagnostics: &diagnostics)
        // Projects with errors of their own took part in the checks of keys and of group names only.
        desired.projects = entries.indices.filter { entries[$0].isComplete }.map { expanded[$0] }
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
        var users: [String: SourceLocation] = [:]
        desired.users = desired.users.filter { user in
            if let first = users[user.normalizedEmail] {
                diagnostics.append(Diagnostic(.error, at: user.location, "duplicate user '\(user.email)'; first listed at \(first)"))
                return false
            }
            users[user.normalizedEmail] = user.location
            return true
        }
        // External ids and previous external ids share one namespace: each names one Cogram project.
        var keys: [String: (SourceLocation, String)] = [:]
        var ids: [String: SourceLocation] = [:]
        for project in desired.projects {
            if let (first, kind) = keys[project.externalID] {
                diagnostics.append(Diagnostic(.error, at: project.location,
                    "duplicate project external_id '\(project.externalID)'; already used as \(kind) at \(first)"))
            } else {
                keys[project.externalID] = (project.location, "external_id")
            }
            for previous in project.previousExternalIDs {
                if let (first, kind) = keys[previous] {
                    diagnostics.append(Diagnostic(.error, at: project.location,
                        "previous external_id '\(previous)' of '\(project.externalID)' is already used as \(kind) at \(first)"))
                } else {
                    keys[previous] = (project.location, "a previous external_id")
                }
            }
            if let id = project.id {
                if let first = ids[id] {
                    diagnostics.append(Diagnostic(.error, at: project.location, "project id '\(id)' is adopted twice; first at \(first)"))
                } else {
                    ids[id] = project.location
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
            for entry in project.memberEntries ?? [] {
                if case .direct(let member) = entry {
                    conflict(member.email, at: member.location, as: "a member of project '\(project.externalID)'")
                }
            }
        }
    }

    private static func checkOwnership(_ desired: DesiredState, diagnostics: inout [Diagnostic]) {
        guard let prefix = desired.externalIDPrefix else { return }
        for project in desired.projects {
            if !project.externalID.hasPrefix(prefix) {
                diagnostics.append(Diagnostic(.error, at: project.location,
                    "external_id '\(project.externalID)' does not start with the ownership prefix '\(prefix)'"))
            }
            for previous in project.previousExternalIDs where !previous.hasPrefix(prefix) {
                diagnostics.append(Diagnostic(.error, at: project.location,
                    "previous external_id '\(previous)' does not start with the ownership prefix '\(prefix)'; adopt projects outside the prefix with 'id:'"))
            }
        }
    }
}
