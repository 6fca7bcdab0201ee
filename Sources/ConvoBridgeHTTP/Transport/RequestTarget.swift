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
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { throw .invalidURL("no scheme") }
        let scheme: HTTPOrigin.Scheme
        switch url[..<colon].lowercased() {
        case "http": scheme = .http
        case "https": scheme = .https
        case let other: throw .invalidURL("scheme \(other.prefix(16)) is neither http nor https")
        }
        let rest = url[url.index(colon, offsetBy: 3)...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else { throw .invalidURL("credentials in the URL are not supported") }
        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw .invalidURL("characters after the IPv6 address") }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
            portText = nil
        }
        guard !host.isEmpty else { throw .invalidURL("no host") }
        let port: Int
        if let portText {
            guard portText.count <= 5, let value = Int(portText), (1...65535).contains(value) else {
                throw .invalidURL("port is not a number from 1 to 65535")
            }
            port = value
        } else {
            port = scheme.defaultPort
        }
        var target = rest[authorityEnd...]
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        origin = HTTPOrigin(scheme: scheme, host: String(host), port: port)
        pathAndQuery = target.isEmpty ? "/" : (target.hasPrefix("/") ? String(target) : "/" + target)
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
