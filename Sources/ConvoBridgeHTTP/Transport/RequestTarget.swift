/// Where a request goes, split from its URL once: the origin its connection is pooled by and the request target.
struct RequestTarget: Sendable, Hashable {
    var origin: HTTPOrigin
    /// The path and query sent on the request line (`/a/b?c=d`), never empty.
    var pathAndQuery: String

    /// Splits `url` (`http` or `https`, a host, an optional port, a path); the fragment is dropped.
    ///
    /// - Throws: ``HTTP1TransportError/invalidURL(_:)`` naming what is wrong, without the URL's query (it may hold a
    ///   key).
    init(url: String) throws(HTTP1TransportError) {
        // On the UTF-8 view: every delimiter is ASCII, and this runs for each of thousands of polls a second.
        let bytes = url.utf8
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: "://".utf8) else {
            throw .invalidURL("no scheme")
        }
        let scheme: HTTPOrigin.Scheme
        switch url[..<colon] {
        case "http": scheme = .http
        case "https": scheme = .https
        case let other where other.lowercased() == "http": scheme = .http
        case let other where other.lowercased() == "https": scheme = .https
        case let other: throw .invalidURL("scheme \(other.prefix(16)) is neither http nor https")
        }
        let restStart = bytes.index(colon, offsetBy: 3)
        let authorityEnd =
            bytes[restStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
            ?? bytes.endIndex
        let authority = url[restStart..<authorityEnd]
        guard !authority.utf8.contains(UInt8(ascii: "@")) else { throw .invalidURL("credentials in the URL are not supported") }
        let host: Substring
        let portText: Substring?
        if authority.utf8.first == UInt8(ascii: "[") {
            guard let close = authority.utf8.firstIndex(of: UInt8(ascii: "]")) else { throw .invalidURL("unterminated IPv6 address") }
            host = authority[authority.utf8.index(after: authority.startIndex)..<close]
            let after = authority[authority.utf8.index(after: close)...]
            guard after.isEmpty || after.utf8.first == UInt8(ascii: ":") else { throw .invalidURL("characters after the IPv6 address") }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.utf8.firstIndex(of: UInt8(ascii: ":")) {
            host = authority[..<colon]
            portText = authority[authority.utf8.index(after: colon)...]
        } else {
            host = authority
            portText = nil
        }
        guard !host.isEmpty else { throw .invalidURL("no host") }
        let port: Int
        if let portText {
            guard portText.utf8.count <= 5, let value = Int(portText), (1...65535).contains(value) else {
                throw .invalidURL("port is not a number from 1 to 65535")
            }
            port = value
        } else {
            port = scheme.defaultPort
        }
        var target = url[authorityEnd...]
        if let hash = target.utf8.firstIndex(of: UInt8(ascii: "#")) { target = target[..<hash] }
        origin = HTTPOrigin(scheme: scheme, host: String(host), port: port)
        pathAndQuery = target.isEmpty ? "/" : (target.utf8.first == UInt8(ascii: "/") ? String(target) : "/" + target)
    }
}

/// A scheme, host and port: what one pooled connection can serve.
struct HTTPOrigin: Sendable, Hashable {
    enum Scheme: Sendable, Hashable {
        case http
        case https

        var defaultPort: Int { self == .http ? 80 : 443 }
    }

    var scheme: Scheme
    var host: String
    var port: Int

    /// The `Host` header's value: the port only when it is not the scheme's own, an IPv6 address in brackets.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? name : "\(name):\(port)"
    }

    /// Whether the host is an address rather than a name (no TLS server name is sent for an address).
    var hostIsAddress: Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
