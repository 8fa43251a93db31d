import ArgumentParser
import CogramAPI
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
            with an `id:` pin and a generated external_id, which the first apply sets; everything else plans as \
            no change. Exit status: 0 success, 1 error.
            """
    )

    @Option(
        help: ArgumentHelp(
            "Write to this file (--layout single) or directory (--layout per-project) instead of stdout.",
            valueName: "path"))
    var out: String?

    @Option(help: ArgumentHelp("One file, or organization.yaml plus one file per project.", valueName: "single|per-project"))
    var layout: ExportLayout = .single

    @Option(
        help: ArgumentHelp(
            "Manage only projects whose external_id starts with this (written as ownership.external_id_prefix); others are left out, and generated external ids start with it.",
            valueName: "prefix"))
    var prefix: String?

    @Flag(help: "Overwrite existing files.")
    var force = false

    @Option(help: ArgumentHelp("How many requests may run at once (under the shared rate limit).", valueName: "n"))
    var parallelism = ClientConfiguration.defaultMaxConcurrentRequests

    @OptionGroup var sandbox: SandboxSelection
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard parallelism >= 1, parallelism <= 64 else { throw ValidationError("--parallelism must be between 1 and 64") }
        if layout == .perProject, out == nil {
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
        let target = try checkedTarget()
        let progress = ImportProgress(terminal: Terminal.stderrIsTerminal)
        let (observed, identity) = try await Backend.withClient(
            connection: connection, sandbox: sandbox, manifestPaths: [], parallelism: parallelism
        ) { client, identity in
            progress.start()
            let observed = try await readOrganization(
                client: client, prefix: prefix, parallelism: parallelism, progress: { progress.record($0) })
            return (observed, identity)
        }
        progress.finish()

        let export = makeExport(observed: observed, prefix: prefix)
        let source = identity.isSandbox ? "the sandbox" : identity.apiURL
        let date = Self.today()
        let files: [ExportFile]
        switch target {
        case .stdout:
            files = [ExportFile(name: "-", contents: export.renderSingle(header: ExportHeader(schemaPath: nil, source: source, date: date)))]
        case .file(let url):
            let header = ExportHeader(schemaPath: Self.schemaPath(from: url.deletingLastPathComponent()), source: source, date: date)
            files = [ExportFile(name: url.lastPathComponent, contents: export.renderSingle(header: header))]
        case .directory(let url):
            let header = ExportHeader(schemaPath: Self.schemaPath(from: url), source: source, date: date)
            files = export.renderFiles(header: header)
        }
        let selfCheck = ManifestLoader().load(sources: files.map { SourceFile(path: $0.name, bytes: Array($0.contents.utf8)) })

        try write(files, to: target)
        Terminal.writeError(export.summaryLine + "\n")
        if !selfCheck.isValid {
            let renderer = DiagnosticRenderer(sources: selfCheck.sources, color: Terminal.stderrColor)
            Terminal.writeError(renderer.render(selfCheck.diagnostics))
            throw CLIError(
                "internal error: the imported manifests do not load cleanly (see above); please report this bug with the lines shown")
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
        guard let out else { return .stdout }
        let url = URL(fileURLWithPath: out).standardizedFileURL
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        switch layout {
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

    private func write(_ files: [ExportFile], to target: Target) throws {
        switch target {
        case .stdout:
            Terminal.writeOutput(files[0].contents)
        case .file(let url):
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create the directory of \(out ?? "."): \(error.localizedDescription)")
            }
            try writeFile(files[0].contents, to: url)
        case .directory(let directory):
            let fm = FileManager.default
            let ours = Set(files.map(\.name))
            if !force {
                let existing = files.map(\.name).filter { fm.fileExists(atPath: directory.appendingPathComponent($0).path) }
                if !existing.isEmpty {
                    let shown = existing.prefix(5).joined(separator: ", ") + (existing.count > 5 ? ", …" : "")
                    throw CLIError(
                        "\(plural(existing.count, "file")) to write already exist in \(out ?? "."): \(shown); remove them or pass --force to overwrite them")
                }
            }
            do {
                try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create \(out ?? "."): \(error.localizedDescription)")
            }
            for file in files {
                try writeFile(file.contents, to: directory.appendingPathComponent(file.name))
            }
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
                    "warning: \(out ?? ".") also holds \(plural(others.count, "manifest")) that this import did not write (\(shown)); plan reads \(others.count == 1 ? "it" : "them") too\n")
            }
        }
    }

    private func writeFile(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw CLIError("cannot write \(Backend.relativePath(url.path)): \(error.localizedDescription)")
        }
    }

    // MARK: - Header pieces

    /// Today in UTC, `YYYY-MM-DD`.
    static func today() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }

    /// The manifest schema relative to `directory`: the nearest `schemas/cogram-manifest.v1.schema.json` in it or
    /// above it (manifests kept in a repository that carries the schema), else the one under the current
    /// directory (where `cogramctl import` runs from the repository root, as the examples do).
    static func schemaPath(from directory: URL) -> String {
        let relative = ExportHeader.schemaRepositoryPath
        var candidate = directory.standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(relative).path) { break }
            let parent = candidate.deletingLastPathComponent()
            if parent.path == candidate.path {
                candidate = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
                break
            }
            candidate = parent
        }
        return relativePath(from: directory.standardizedFileURL, to: candidate.appendingPathComponent(relative))
    }

    /// `to` relative to the directory `from`, with `..` where needed.
    static func relativePath(from: URL, to: URL) -> String {
        let base = from.standardizedFileURL.pathComponents
        let target = to.standardizedFileURL.pathComponents
        var common = 0
        while common < base.count, common < target.count, base[common] == target[common] { common += 1 }
        let ups = Array(repeating: "..", count: base.count - common)
        return (ups + target[common...]).joined(separator: "/")
    }
}

extension ExportLayout: ExpressibleByArgument {}

/// Reading progress on stderr, one rewritten line, only on a terminal.
///
/// `@unchecked Sendable`: all mutable state is read and written under `lock` only.
final class ImportProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let terminal: Bool
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(terminal: Bool) {
        self.terminal = terminal
    }

    func start() {
        draw("Reading projects and users…", force: true)
    }

    func record(_ event: ExportReadProgress) {
        switch event {
        case .listed(let projects, let users, let lists):
            draw("Read \(plural(projects, "project")) and \(plural(users, "user")); reading members: 0/\(lists) projects", force: true)
        case .members(let done, let total):
            draw("Reading members: \(String(done).leftPadded(to: String(total).count))/\(total) projects", force: done == total)
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if terminal, drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func draw(_ line: String, force: Bool) {
        guard terminal else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        drawn = true
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }
}
