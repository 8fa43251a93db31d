import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends bytes exactly as given over a fresh loopback TCP connection and reads until the server closes it.
///
/// HTTP client libraries refuse to send what these tests need (a CR or LF inside a header value, a chunked body
/// without Content-Length of a chosen shape), so the tests write the request themselves. Requests should carry
/// `Connection: close`; reads time out after `timeoutSeconds`.
struct RawHTTPResponse: Sendable {
    var status: Int
    var head: String
    var body: Data

    func header(_ name: String) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

enum RawHTTPError: Error {
    case socket(String)
    case noResponse(Data)
}

#if canImport(Glibc)
private let noSignal = Int32(MSG_NOSIGNAL)
#else
private let noSignal: Int32 = 0
#endif

/// `rawHTTPBlocking` on a thread of its own: blocking socket calls on the few threads of Swift concurrency's
/// cooperative pool would starve the very server they wait for.
func rawHTTP(port: Int, _ request: Data, timeoutSeconds: Int = 10) async throws -> RawHTTPResponse {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try rawHTTPBlocking(port: port, request, timeoutSeconds: timeoutSeconds) })
        }
        thread.start()
    }
}

func rawHTTPBlocking(port: Int, _ request: Data, timeoutSeconds: Int = 10) throws -> RawHTTPResponse {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw RawHTTPError.socket("socket() failed") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { throw RawHTTPError.socket("connect() failed") }
    var sent = 0
    while sent < request.count {
        // MSG_NOSIGNAL: a server that closes early must give an error here, not a SIGPIPE that ends the tests.
        let written = request.withUnsafeBytes { buffer in
            send(fd, buffer.baseAddress!.advanced(by: sent), request.count - sent, noSignal)
        }
        // The server may answer (413) and close before it has read everything; what it answered still counts.
        if written <= 0 { break }
        sent += written
    }
    var received = Data()
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = recv(fd, &chunk, chunk.count, 0)
        if count <= 0 { break }
        received.append(contentsOf: chunk[0..<count])
    }
    guard let separator = received.range(of: Data("\r\n\r\n".utf8)) else { throw RawHTTPError.noResponse(received) }
    let head = String(decoding: received[..<separator.lowerBound], as: UTF8.self)
    let statusLine = head.split(separator: "\r\n").first.map(String.init) ?? ""
    let parts = statusLine.split(separator: " ")
    guard parts.count >= 2, let status = Int(parts[1]) else { throw RawHTTPError.noResponse(received) }
    var body = Data(received[separator.upperBound...])
    if head.lowercased().contains("transfer-encoding: chunked") {
        body = dechunk(body)
    }
    return RawHTTPResponse(status: status, head: head, body: body)
}

/// A request head with the sandbox's authorization, ending in `Connection: close` and the blank line.
func rawRequestHead(_ method: String, _ target: String, key: String, extra: [String] = []) -> Data {
    var lines = ["\(method) \(target) HTTP/1.1", "Host: 127.0.0.1", "Authorization: Bearer \(key)"]
    lines += extra
    lines.append("Connection: close")
    return Data((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
}

private func dechunk(_ data: Data) -> Data {
    var output = Data()
    var rest = data[...]
    while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
        let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
        guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
        let start = lineEnd.upperBound
        let end = rest.index(start, offsetBy: size, limitedBy: rest.endIndex) ?? rest.endIndex
        output.append(rest[start..<end])
        rest = rest[min(rest.endIndex, end + 2)...]
    }
    return output
}
