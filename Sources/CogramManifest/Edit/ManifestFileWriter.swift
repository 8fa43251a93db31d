import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import CFileSync

/// Writes edited manifests: only files that were loaded, at their real path (never through a symlink), inside the
/// organization's root when there is one; each replaced atomically (a new file in the same folder, renamed over
/// the old one) with the old file's mode. New files are created exclusively, never overwriting.
///
/// Durability is per batch, not per file (figure 11: an `fsync` per file made offboarding across 2,000 files
/// take seconds of kernel time): every new file and temporary copy is written, the renames replace the old
/// files, then one `syncfs` per file system makes all of it durable before the call returns. What a crash
/// before that can leave is in docs/manifest.md, "How edits are written".
public enum ManifestFileWriter {
    /// Replaces the file at `path` (which must be a regular file reached without symlinks) with `bytes`.
    public static func replace(_ path: String, with bytes: [UInt8], root: String?) throws(EditError) {
        try writeAll(replacing: [FileEdit(path: path, before: [], after: bytes)], root: root)
    }

    /// Creates a new file; refuses when anything exists at `path`.
    public static func create(_ path: String, with bytes: [UInt8], root: String?) throws(EditError) {
        try writeAll(creating: [FileEdit(path: path, before: [], after: bytes)], root: root)
    }

    /// Creates `creating` (each exclusively) and replaces `replacing` (each atomically) with their `after` bytes.
    /// When a file cannot be written, the files of this call that were not renamed yet are removed again.
    public static func writeAll(replacing: [FileEdit] = [], creating: [FileEdit] = [], root: String?) throws(EditError) {
        var staged: [(temporary: String, absolute: String, shown: String)] = []
        var created: [String] = []
        var directories: [String] = []
        // Each folder is resolved once (a batch holds thousands of files of a few folders); a file in a checked
        // folder is at its real path when `lstat` finds a regular file there, not a symlink.
        var checked = Set<String>()
        func checkFolder(_ directory: String, shown: String) throws(EditError) {
            guard !checked.contains(directory) else { return }
            try checkRealPath(directory, shown: shown, root: root)
            checked.insert(directory)
            directories.append(directory)
        }
        func discard() {
            for file in staged { unlink(file.temporary) }
            for path in created { unlink(path) }
        }
        do throws(EditError) {
            for file in creating {
                let absolute = lexicalAbsolute(file.path)
                try checkFolder((absolute as NSString).deletingLastPathComponent, shown: file.path)
                try writeExclusively(absolute, bytes: file.after, mode: 0o644, shown: file.path)
                created.append(absolute)
            }
            for file in replacing {
                let absolute = lexicalAbsolute(file.path)
                let directory = (absolute as NSString).deletingLastPathComponent
                try checkFolder(directory, shown: file.path)
                var status = stat()
                let found = lstat(absolute, &status) == 0
                // Through `checkRealPath` a symlink gets the message that names where it leads.
                if found, (status.st_mode & S_IFMT) == S_IFLNK { try checkRealPath(absolute, shown: file.path, root: root) }
                guard found, (status.st_mode & S_IFMT) == S_IFREG else {
                    throw EditError(at: nil, "\(file.path): not a regular file; cogramctl writes only the manifest files it loaded")
                }
                let name = (absolute as NSString).lastPathComponent
                let temporary = directory + "/.\(name).cogramctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                try writeExclusively(temporary, bytes: file.after, mode: status.st_mode & 0o7777, shown: file.path)
                staged.append((temporary, absolute, file.path))
            }
        } catch {
            discard()
            throw error
        }
        for index in staged.indices {
            let file = staged[index]
            guard rename(file.temporary, file.absolute) == 0 else {
                let reason = String(cString: strerror(errno))
                for rest in staged[index...] { unlink(rest.temporary) }
                throw EditError(at: nil, "\(file.shown): cannot replace the file (\(reason))")
            }
        }
        try syncFileSystems(of: directories)
    }

    /// One `syncfs` per file system holding `directories` (the files and the folder entries written there are on
    /// disk when it returns); elsewhere than Linux, an `fsync` of each folder.
    private static func syncFileSystems(of directories: [String]) throws(EditError) {
        var devices = Set<UInt64>()
        for directory in directories {
            var status = stat()
            guard stat(directory, &status) == 0 else {
                throw EditError(at: nil, "\(directory): the files were written but the folder cannot be read to flush them to disk (\(String(cString: strerror(errno))))")
            }
            #if os(Linux)
            guard devices.insert(UInt64(truncatingIfNeeded: status.st_dev)).inserted else { continue }
            #endif
            let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            let synced = descriptor >= 0 && cogram_syncfs(descriptor) == 0
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            guard synced else { throw EditError(at: nil, "\(directory): the files were written but cannot be flushed to disk (\(reason))") }
        }
    }

    private static func writeExclusively(_ path: String, bytes: [UInt8], mode: mode_t, shown: String) throws(EditError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw EditError(at: nil, "\(shown): cannot create the file (\(String(cString: strerror(errno))))")
        }
        var written = 0
        var failed = false
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                written += result
            }
        }
        // The mode is set explicitly: the umask must not loosen or tighten what the file had. Durability comes
        // from the one sync after the whole batch (see the type's comment).
        if fchmod(descriptor, mode) != 0 { failed = true }
        if close(descriptor) != 0 { failed = true }
        if failed {
            unlink(path)
            throw EditError(at: nil, "\(shown): cannot write the file")
        }
    }

    /// An absolute path with `.` and `..` removed as text, symlinks left as they are (Foundation's
    /// `standardizingPath` may resolve them, which would hide the symlink this writer refuses).
    public static func lexicalAbsolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in full.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The path has no symlink in it and lies inside `root` when one is given.
    private static func checkRealPath(_ absolute: String, shown: String, root: String?) throws(EditError) {
        guard let real = realpath(absolute, nil) else {
            throw EditError(at: nil, "\(shown): cannot resolve the path (\(String(cString: strerror(errno))))")
        }
        let resolved = String(cString: real)
        free(real)
        guard resolved == absolute else {
            throw EditError(at: nil, "\(shown): the path goes through a symbolic link (to \(resolved)); cogramctl writes manifests only at their real path")
        }
        if let root {
            let rootPath = lexicalAbsolute(root)
            var resolvedRoot = rootPath
            if let realRoot = realpath(rootPath, nil) {
                resolvedRoot = String(cString: realRoot)
                free(realRoot)
            }
            guard resolved == resolvedRoot || resolved.hasPrefix(resolvedRoot.hasSuffix("/") ? resolvedRoot : resolvedRoot + "/") else {
                throw EditError(at: nil, "\(shown): outside the organization's root \(root); cogramctl writes only inside it")
            }
        }
    }
}
