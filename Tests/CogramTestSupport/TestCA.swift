import Foundation
import NIOSSL

/// A throwaway certificate authority and a server certificate it signed, made with the `openssl` program in a
/// temporary directory, for TLS tests. Nothing is trusted system-wide.
public struct TestCA: Sendable {
    public let directory: URL

    public var caPath: String { directory.appendingPathComponent("ca.pem").path }
    public var certificatePath: String { directory.appendingPathComponent("server.pem").path }
    public var keyPath: String { directory.appendingPathComponent("server.key").path }

    /// When the server certificate is valid.
    public enum Validity: Sendable {
        /// From now for two days.
        case current
        /// 1 to 2 January 2020: long expired, though signed by the CA like a current one.
        case expired

        /// The UTCTime bounds; `openssl ca` takes this form from OpenSSL 1.1 and LibreSSL alike (unlike
        /// `x509 -not_before`, which needs OpenSSL 3.4).
        var dates: [String] {
            switch self {
            case .current: ["-days", "2"]
            case .expired: ["-startdate", "200101000000Z", "-enddate", "200102000000Z"]
            }
        }
    }

    public struct OpenSSLFailed: Error, CustomStringConvertible {
        public var description: String
    }

    /// A CA and a server certificate for `names` (DNS names; `127.0.0.1` becomes an IP entry).
    public static func make(names: [String] = ["localhost", "127.0.0.1"], validity: Validity = .current) throws -> TestCA {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cogram-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca = TestCA(directory: directory)
        let san = names.map { $0.first?.isNumber == true ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        try "subjectAltName=\(san)\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
            .write(to: directory.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
        // The least `openssl ca` needs: a database, a serial, and a policy that takes any subject.
        try """
            [ca]
            default_ca = test_ca
            [test_ca]
            database = index.txt
            serial = serial
            new_certs_dir = .
            default_md = sha256
            policy = any
            unique_subject = no
            [any]
            commonName = supplied

            """.write(to: directory.appendingPathComponent("ca.cnf"), atomically: true, encoding: .utf8)
        try "".write(to: directory.appendingPathComponent("index.txt"), atomically: true, encoding: .utf8)
        try "1000\n".write(to: directory.appendingPathComponent("serial"), atomically: true, encoding: .utf8)
        try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=cogramctl test CA"], in: directory)
        try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=\(names.first ?? "localhost")"], in: directory)
        try run(["ca", "-batch", "-notext", "-config", "ca.cnf", "-in", "server.csr", "-cert", "ca.pem", "-keyfile", "ca.key",
                 "-out", "server.pem", "-extfile", "ext.cnf"] + validity.dates, in: directory)
        return ca
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A TLS server context presenting the server certificate.
    public func serverContext() throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }

    private static func run(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailed(description: "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))")
        }
    }
}
