import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes edited manifests: only files that were loaded, at their real path (never through a symlink), inside the
/// organization's root when there is one; each replaced atomically (a new file in the same folder, renamed over
/// the old one) with the old file's mode. New files are created exclusively, never overwriting.
public enum ManifestFileWriter {
    /// Replaces the file at `path` (which must be a regular file reached without symlinks) with `bytes`.
    public static func replace(_ path: String, with bytes: [UInt8], root: String?) throws(EditError) {
        let absolute = lexicalAbsolute(path)
        try checkRealPath(absolute, shown: path, root: root)
        var status = stat()
        guard lstat(absolute, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw EditError(at: nil, "\(path): not a regular file; cogramctl writes only the manifest files it loaded")
        }
        let directory = (absolute as NSString).deletingLastPathComponent
        let name = (absolute as NSString).lastPathComponent
        let temporary = directory + "/.\(name).cogramctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try writeExclusively(temporary, bytes: bytes, mode: status.st_mode & 0o7777, shown: path)
        guard rename(temporary, absolute) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw EditError(at: nil, "\(path): cannot replace the file (\(reason))")
        }
    }

    /// Creates a new file; refuses when anything exists at `path`.
    public static func create(_ path: String, with bytes: [UInt8], root: String?) throws(EditError) {
        let absolute = lexicalAbsolute(path)
        try checkRealPath((absolute as NSString).deletingLastPathComponent, shown: path, root: root)
        try writeExclusively(absolute, bytes: bytes, mode: 0o644, shown: path)
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
        // The mode is set explicitly: the umask must not loosen or tighten what the file had.
        if fchmod(descriptor, mode) != 0 || fsync(descriptor) != 0 { failed = true }
        close(descriptor)
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
